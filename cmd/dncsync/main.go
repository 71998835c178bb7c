// Command dncsync gets every consumer opt-out onto the do-not-call lists of the platforms that
// would call them. The commands are internal/cli's; the service's wiring is internal/app's.
package main

import (
	"os"

	"github.com/dncsync/dncsync/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
