// Package setting is dncsync's one way to declare a setting: an environment variable and a flag of
// the same meaning, its default defined once, its component (the group its help and documentation
// list it under) and whether it is required. Commands register the settings they use on their flag
// set; help and the configuration reference are printed from the same declarations, so neither can
// drift from what the binary reads.
package setting

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Setting is one declared setting.
type Setting struct {
	Env   string // the environment variable, e.g. CXONE_REGION
	Flag  string // the flag without dashes, e.g. cxone-region
	Usage string
	Group string // the component, e.g. "store" or "destination cxone"
	// Default is the declared default as help and the reference print it; empty: none. It is the
	// declaration's, never the environment's: help reads the same on every machine.
	Default string
	// Required is empty for an optional setting, "yes" for one always required, else the condition
	// under which it is (e.g. "with CXONE_API=admin").
	Required string
	Secret   bool // its value is never printed
	Type     string

	value   flag.Value
	secret  *string // the value of a Secret
	fromEnv bool    // its variable is in the environment
	flagSet bool    // its flag was given
}

// Require marks the setting required, always (cond "") or under cond; it returns s for chaining.
func (s *Setting) Require(cond string) *Setting {
	if cond == "" {
		cond = "yes"
	}
	s.Required = cond
	return s
}

// IsSet reports whether the setting was given, by its variable or its flag, rather than left at
// its default.
func (s *Setting) IsSet() bool { return s.fromEnv || s.flagSet }

// Set gives the setting value, as its flag would.
func (s *Setting) Set(value string) error { return tracked{s}.Set(value) }

// Set is a list of settings under a group; Group returns a view of the same list under another.
type Set struct {
	all      *[]*Setting
	errs     *[]error
	headings map[string]string
	first    *[]string // groups help lists before the others
	group    string
}

// New is an empty set; settings declared on it belong to group until Group says otherwise.
func New(group string) *Set {
	return &Set{all: &[]*Setting{}, errs: &[]error{}, headings: map[string]string{}, first: &[]string{}, group: group}
}

// Group is a view of s whose declarations belong to group.
func (s *Set) Group(group string) *Set {
	return &Set{all: s.all, errs: s.errs, headings: s.headings, first: s.first, group: group}
}

// First makes help and the reference list the view's group before the others: a command's own
// settings come right after its own flags.
func (s *Set) First() *Set {
	*s.first = append(*s.first, s.group)
	return s
}

// Heading names the view's group in help and the reference; by default the group's name.
func (s *Set) Heading(heading string) *Set {
	s.headings[s.group] = heading
	return s
}

// All is every setting declared, in order of declaration.
func (s *Set) All() []*Setting { return append([]*Setting(nil), *s.all...) }

// Lookup finds a setting by its environment variable or flag name.
func (s *Set) Lookup(name string) *Setting {
	for _, st := range *s.all {
		if st.Env == name || st.Flag == name {
			return st
		}
	}
	return nil
}

// Err is every problem the declarations can see on their own, each naming its variable: an
// environment value that could not be read, and a secret with spaces or line breaks around it (a
// secret pasted with its newline is another secret than the one its peer uses, and every request
// would fail in a way that is hard to see).
func (s *Set) Err() error {
	errs := append([]error(nil), *s.errs...)
	for _, st := range *s.all {
		if st.secret != nil && *st.secret != strings.TrimSpace(*st.secret) {
			errs = append(errs, fmt.Errorf("%s has spaces or line breaks around it; set it to the secret alone", st.Env))
		}
	}
	return errors.Join(errs...)
}

// Register defines a flag on fs for the settings names names: a group (every setting of it) or a
// setting's environment variable; every setting when none is named.
func (s *Set) Register(fs *flag.FlagSet, names ...string) {
	for _, st := range *s.all {
		if (len(names) == 0 || contains(names, st.Group) || contains(names, st.Env)) && fs.Lookup(st.Flag) == nil {
			fs.Var(tracked{st}, st.Flag, st.Usage+" ($"+st.Env+")")
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// tracked is a setting's flag: it records that the flag was given.
type tracked struct{ st *Setting }

func (t tracked) String() string {
	if t.st == nil || t.st.value == nil {
		return ""
	}
	return t.st.value.String()
}

func (t tracked) Set(v string) error {
	if err := t.st.value.Set(v); err != nil {
		return err
	}
	t.st.flagSet = true
	return nil
}

func (t tracked) IsBoolFlag() bool {
	b, ok := t.st.value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// declare adds a setting whose value v holds the default already, then reads the environment.
func (s *Set) declare(st *Setting, v flag.Value) *Setting {
	if s.Lookup(st.Env) != nil || s.Lookup(st.Flag) != nil {
		panic("setting: " + st.Env + " (--" + st.Flag + ") declared twice")
	}
	st.Group, st.value = s.group, v
	if env, ok := os.LookupEnv(st.Env); ok {
		st.fromEnv = true
		if err := v.Set(env); err != nil {
			*s.errs = append(*s.errs, fmt.Errorf("%s=%v", st.Env, err))
		}
	}
	*s.all = append(*s.all, st)
	return st
}

// String declares a text setting.
func (s *Set) String(p *string, flagName, env, def, usage string) *Setting {
	*p = def
	return s.declare(&Setting{Env: env, Flag: flagName, Usage: usage, Default: def, Type: "string"}, (*stringValue)(p))
}

// Secret declares a setting whose value help never prints (a mistyped flag prints every default).
func (s *Set) Secret(p *string, flagName, env, usage string) *Setting {
	*p = ""
	return s.declare(&Setting{Env: env, Flag: flagName, Usage: usage, Secret: true, Type: "secret", secret: p}, secretValue{p})
}

// Int declares a whole-number setting.
func (s *Set) Int(p *int, flagName, env string, def int, usage string) *Setting {
	*p = def
	return s.declare(&Setting{Env: env, Flag: flagName, Usage: usage, Default: strconv.Itoa(def), Type: "int"}, (*intValue)(p))
}

// Bool declares a true/false setting.
func (s *Set) Bool(p *bool, flagName, env string, def bool, usage string) *Setting {
	*p = def
	return s.declare(&Setting{Env: env, Flag: flagName, Usage: usage, Default: strconv.FormatBool(def), Type: "bool"}, (*boolValue)(p))
}

// Float declares a decimal-number setting.
func (s *Set) Float(p *float64, flagName, env string, def float64, usage string) *Setting {
	*p = def
	return s.declare(&Setting{Env: env, Flag: flagName, Usage: usage, Default: strconv.FormatFloat(def, 'g', -1, 64),
		Type: "number"}, (*floatValue)(p))
}

// Duration declares a duration setting (250ms, 2m, 168h).
func (s *Set) Duration(p *time.Duration, flagName, env string, def time.Duration, usage string) *Setting {
	*p = def
	return s.declare(&Setting{Env: env, Flag: flagName, Usage: usage, Default: durString(def), Type: "duration"}, (*durValue)(p))
}

// Share declares a proportion from 0 to 1, written as a fraction (0.1) or a percentage (10%).
func (s *Set) Share(p *Share, flagName, env string, def Share, usage string) *Setting {
	*p = def
	return s.declare(&Setting{Env: env, Flag: flagName, Usage: usage, Default: def.String(), Type: "share"}, p)
}

// durString is d as people write it: 168h, not 168h0m0s.
func durString(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Share is a proportion from 0 to 1.
type Share float64

// ParseShare reads a fraction (0.1) or a percentage (10%).
func ParseShare(v string) (Share, error) {
	v = strings.TrimSpace(v)
	scale := 1.0
	if p, ok := strings.CutSuffix(v, "%"); ok {
		v, scale = strings.TrimSpace(p), 100
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f/scale < 0 || f/scale > 1 {
		return 0, fmt.Errorf("%q is not a share from 0 to 1 (such as 0.1) or 0%% to 100%%", v)
	}
	return Share(f / scale), nil
}

func (s Share) String() string { return strconv.FormatFloat(float64(s)*100, 'g', -1, 64) + "%" }

// Set implements flag.Value.
func (s *Share) Set(v string) error {
	f, err := ParseShare(v)
	if err == nil {
		*s = f
	}
	return err
}

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

type secretValue struct{ p *string }

func (v secretValue) String() string {
	if v.p != nil && *v.p != "" {
		return "(set)"
	}
	return ""
}
func (v secretValue) Set(s string) error { *v.p = s; return nil }

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v = intValue(n)
	return nil
}

type boolValue bool

func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolValue(b)
	return nil
}

type floatValue float64

func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }
func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number such as 0.9", s)
	}
	*v = floatValue(f)
	return nil
}

type durValue time.Duration

func (v *durValue) String() string { return time.Duration(*v).String() }
func (v *durValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 250ms or 2m", s)
	}
	*v = durValue(d)
	return nil
}
