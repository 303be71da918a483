// Go's own answers for service names: net.LookupPort for each
// "name NAME PROTO" line on stdin (PROTO tcp or udp), printed as
// "name NAME PROTO PORT" or "name NAME PROTO -".  Built with CGO_ENABLED=0
// it reads /etc/services itself (tests/clients_export.sh); with cgo and
// GODEBUG=netdns=cgo it asks glibc (tests/clients_admin.sh).
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) != 3 || f[0] != "name" {
			continue
		}
		if p, err := net.LookupPort(f[2], f[1]); err == nil {
			fmt.Fprintf(out, "name %s %s %d\n", f[1], f[2], p)
		} else {
			fmt.Fprintf(out, "name %s %s -\n", f[1], f[2])
		}
	}
}
