# After files, so local edits to /etc/services stay authoritative.
services after=files iana
