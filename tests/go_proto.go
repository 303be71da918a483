// Go's own answers for protocol names: Go never asks libc for a protocol
// (net.lookupProtocol reads /etc/protocols itself, with or without cgo),
// so tests/clients_export.sh calls it, through go:linkname, for each
// "proto NAME" line on stdin, printing "proto NAME NUMBER" or "proto NAME -".
// The test builds it in a directory with an empty .s file (a body-less
// function needs one).
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	_ "unsafe"
)

//go:linkname lookupProtocol net.lookupProtocol
func lookupProtocol(ctx context.Context, name string) (int, error)

// Keeps lookupProtocol in the binary: ListenIP parses "ip4:NAME" with it.
var _ = net.ListenIP

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) != 2 || f[0] != "proto" {
			continue
		}
		if p, err := lookupProtocol(context.Background(), f[1]); err == nil {
			fmt.Fprintf(out, "proto %s %d\n", f[1], p)
		} else {
			fmt.Fprintf(out, "proto %s -\n", f[1])
		}
	}
}
