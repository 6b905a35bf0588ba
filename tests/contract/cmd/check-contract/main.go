// Command check-contract checks that the C header, the shared library's
// symbols, ffi/, core/, the TypeScript declarations and the WIT contract
// agree (the same check as `go test ./tests/contract`, as a tool):
//
//	check-contract [-v] LIBRARY
//
// It runs from the repository root, prints every divergence naming the
// operation or type and the side at fault, and exits 1 when there is any.
// -v prints the operation table.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/perryts/perry-container/tests/contract"
)

func main() {
	verbose := flag.Bool("v", false, "print the operation table")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: check-contract [-v] LIBRARY   (run from the repository root)")
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if _, err := os.Stat("go.mod"); err != nil {
		fmt.Fprintln(os.Stderr, "check-contract: run it from the repository root")
		os.Exit(2)
	}
	in, problems, err := contract.Load(".", ".", flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "check-contract:", err)
		os.Exit(2)
	}
	problems = append(problems, contract.Check(in)...)
	ops := contract.Table(in)
	if *verbose {
		for _, op := range ops {
			var ts []string
			for _, f := range op.TS {
				ts = append(ts, f.Qual())
			}
			fmt.Printf("%-28s %-58s %s\n", op.WIT.Iface+"."+op.WIT.Name, strings.Join(op.Symbols, " "), strings.Join(ts, ", "))
		}
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		fmt.Printf("%d divergence(s) between %s, %s, %s/perry/*.d.ts, %s, ffi/ and core/\n",
			len(problems), contract.HeaderPath, flag.Arg(0), contract.TypesDir, contract.WITPath)
		os.Exit(1)
	}
	fmt.Printf("contract: %d operations, %d records agree across the header, the library, ffi/, core/, the d.ts and the WIT\n",
		len(ops), len(in.Model.Records))
}
