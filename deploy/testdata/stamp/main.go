// Command stamp prints internal/buildinfo's version, commit and date: the
// deploy tests build it with scripts/build to see its -ldflags land there.
package main

import (
	"fmt"

	"github.com/hookd/hookd/internal/buildinfo"
)

func main() {
	info := buildinfo.Get()
	fmt.Println(info.Version, info.Commit, info.Date)
}
