package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/alecthomas/kong"
	"github.com/goccy/go-yaml"
)

// configFile is --config: a YAML or TOML file whose keys are the flags'
// names. It is a kong resolver added to the parse, so a file's value goes
// through the same parsing and checks as the flag's; kong already lets
// the command line win, and the resolver steps aside for a flag whose
// environment variable is set, which gives flag > env > file > default.
type configFile string

// BeforeResolve reads the file and refuses keys the selected command has no
// flag for, and values that are not one scalar.
func (configFile) BeforeResolve(ctx *kong.Context, trace *kong.Path) error {
	f := ctx.FlagValue(trace.Flag).(configFile) // the target is not set before Apply
	if f == "" {
		return nil
	}
	values, err := readConfig(string(f))
	if err != nil {
		return err
	}
	flags := map[string]*kong.Flag{}
	for _, group := range ctx.Flags() {
		if !notInFile[group.Name] {
			flags[group.Name] = group
		}
	}
	resolved := map[string]string{}
	for _, key := range sortedKeys(values) {
		if flags[key] == nil {
			return fmt.Errorf("%s: unknown key %q: %s has no flag --%s", f, key, ctx.Selected().Path(), key)
		}
		s, err := scalar(values[key])
		if err != nil {
			return fmt.Errorf("%s: key %q: %w", f, key, err)
		}
		if err := checkValue(ctx, flags[key], s); err != nil {
			return fmt.Errorf("%s: key %q: %w", f, key, err)
		}
		resolved[key] = s
	}
	ctx.AddResolver(kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		s, ok := resolved[flag.Name]
		if !ok || envSet(flag.Tag.Envs) {
			return nil, nil
		}
		return s, nil
	}))
	return nil
}

// notInFile are flags a configuration file cannot set.
var notInFile = map[string]bool{"help": true, "config": true, "version": true}

// readConfig decodes a .yaml/.yml or .toml file into its top-level keys.
func readConfig(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	values := map[string]any{}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		// Strict: a key written twice is an error, not the last one winning.
		err = yaml.NewDecoder(bytes.NewReader(data), yaml.Strict()).Decode(&values)
		if err != nil && strings.TrimSpace(string(data)) == "" {
			err = nil // an empty file sets nothing
		}
	case ".toml":
		_, err = toml.Decode(string(data), &values)
	default:
		return nil, fmt.Errorf("--config %s: the file name must end in .yaml, .yml or .toml", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return values, nil
}

// scalar is a file's value as the text a flag would be given.
func scalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, int64, uint64, int, float64:
		return fmt.Sprint(v), nil
	case nil:
		return "", fmt.Errorf("has no value")
	default:
		return "", fmt.Errorf("must be a single value (a string, number or boolean), got %T", v)
	}
}

// checkValue parses s as flag's value into a scratch target, so that a
// wrong type is reported with the key's name before anything runs.
func checkValue(ctx *kong.Context, flag *kong.Flag, s string) error {
	if flag.Enum != "" && !flag.EnumMap()[s] {
		return fmt.Errorf("must be one of %s, got %q", strings.Join(flag.EnumSlice(), ", "), s)
	}
	scratch := reflect.New(flag.Target.Type()).Elem()
	dc := &kong.DecodeContext{Value: flag.Value, Scan: kong.Scan().PushTyped(s, kong.FlagValueToken)}
	if err := flag.Mapper.Decode(dc, scratch); err != nil {
		return err
	}
	return nil
}

func envSet(names []string) bool {
	for _, name := range names {
		if _, ok := os.LookupEnv(name); ok {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
