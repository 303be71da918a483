// A Go program as most are built (cgo on): net.LookupPort("tcp", NAME),
// then net.Listen("tcp", "127.0.0.1:NAME"), printing "lookup PORT" and
// "listen PORT" (or the error).  Run with GODEBUG=netdns=cgo it asks glibc
// for the port (tests/clients_admin.sh).
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	name := os.Args[1]
	if p, err := net.LookupPort("tcp", name); err == nil {
		fmt.Println("lookup", p)
	} else {
		fmt.Println("lookup error:", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+name)
	if err != nil {
		fmt.Println("listen error:", err)
		return
	}
	fmt.Println("listen", l.Addr().(*net.TCPAddr).Port)
	l.Close()
}
