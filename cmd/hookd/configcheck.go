package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
)

type configCmd struct {
	Check configCheckCmd `cmd:"" help:"Check the configuration serve would run with (--config file, environment, flags) and print it, secrets masked; exit 2 when it is refused."`
}

// configCheckCmd takes serve's flags, so the file, variables and flags are
// read and checked exactly as serve reads them (serveCmd.Validate).
type configCheckCmd struct {
	serveCmd `embed:""`
}

// Run prints the effective settings as YAML a --config file accepts.
func (c *configCheckCmd) Run(kctx *kong.Context) error {
	for _, flag := range kctx.Selected().Flags {
		if notInFile[flag.Name] {
			continue
		}
		fmt.Fprintf(os.Stdout, "%s: %s\n", flag.Name, strconv.Quote(shownValue(flag)))
	}
	return nil
}

// shownValue is a flag's value with secrets masked: secret flags entirely,
// the database URL's password.
func shownValue(flag *kong.Flag) string {
	v := fmt.Sprint(flag.Target.Interface())
	if list, ok := flag.Target.Interface().([]string); ok {
		v = strings.Join(list, string(flag.Tag.Sep)) // as the file and the flag write it
	}
	switch {
	case flag.Tag.Has("secret") && v != "":
		return "********"
	case flag.Name == "database":
		return redactDatabase(v)
	}
	return v
}
