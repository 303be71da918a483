# First, in libnss-resolve's idiom: iana answers every query itself (its
# database merges /etc/services and /etc/protocols), and steps aside only
# when it is unavailable, for the sources the line had, kept after it.
# dh_installnss puts "iana [!UNAVAIL=return] " right after the colon and
# its blanks, which is also what `iana-services enable` writes.
services first iana [!UNAVAIL=return]
protocols first iana [!UNAVAIL=return]
