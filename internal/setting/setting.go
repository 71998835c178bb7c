// Package setting is dncsync's one way to declare a setting: an environment variable and a flag of
// the same meaning, its default defined once, its component (the group its help and documentation
// list it under) and whether it is required. Commands register the settings they use on their flag
// set; help and the configuration reference are printed from the same declarations, so neither can
// drift from what the binary reads.
package setting

import (
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
	// Default is the default as help prints it; empty: none.
	Default string
	// Required is empty for an optional setting, "yes" for one always required, else the condition
	// under which it is (e.g. "with CXONE_API=admin").
	Required string
	Secret   bool // its value is never printed
	Type     string

	value flag.Value
}

// Require marks the setting required, always (cond "") or under cond; it returns s for chaining.
func (s *Setting) Require(cond string) *Setting {
	if cond == "" {
		cond = "yes"
	}
	s.Required = cond
	return s
}

// Set is a list of settings under a group; Group returns a view of the same list under another.
type Set struct {
	all   *[]*Setting
	errs  *[]error
	group string
}

// New is an empty set; settings declared on it belong to group until Group says otherwise.
func New(group string) *Set {
	return &Set{all: &[]*Setting{}, errs: &[]error{}, group: group}
}

// Group is a view of s whose declarations belong to group.
func (s *Set) Group(group string) *Set {
	return &Set{all: s.all, errs: s.errs, group: group}
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

// Err is every environment value that could not be read, each naming its variable.
func (s *Set) Err() error {
	if len(*s.errs) == 0 {
		return nil
	}
	return joined(*s.errs)
}

// Register defines a flag on fs for every setting of s (of every group).
func (s *Set) Register(fs *flag.FlagSet) {
	for _, st := range *s.all {
		if fs.Lookup(st.Flag) == nil {
			fs.Var(st.value, st.Flag, st.Usage+" ($"+st.Env+")")
		}
	}
}

func (s *Set) add(st *Setting) *Setting {
	if s.Lookup(st.Env) != nil || s.Lookup(st.Flag) != nil {
		panic("setting: " + st.Env + " (--" + st.Flag + ") declared twice")
	}
	st.Group = s.group
	*s.all = append(*s.all, st)
	return st
}

func (s *Set) fail(format string, args ...any) {
	*s.errs = append(*s.errs, fmt.Errorf(format, args...))
}

// String declares a text setting.
func (s *Set) String(p *string, flagName, env, def, usage string) *Setting {
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	*p = def
	return s.add(&Setting{Env: env, Flag: flagName, Usage: usage, Default: def, Type: "string", value: (*stringValue)(p)})
}

// Secret declares a setting whose value help never prints (a mistyped flag prints every default).
func (s *Set) Secret(p *string, flagName, env, usage string) *Setting {
	*p = os.Getenv(env)
	return s.add(&Setting{Env: env, Flag: flagName, Usage: usage, Secret: true, Type: "secret", value: secretValue{p}})
}

// Int declares a whole-number setting.
func (s *Set) Int(p *int, flagName, env string, def int, usage string) *Setting {
	if v, ok := os.LookupEnv(env); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
			s.fail("%s=%q is not a whole number", env, v)
		} else {
			def = n
		}
	}
	*p = def
	return s.add(&Setting{Env: env, Flag: flagName, Usage: usage, Default: strconv.Itoa(def), Type: "int", value: (*intValue)(p)})
}

// Bool declares a true/false setting.
func (s *Set) Bool(p *bool, flagName, env string, def bool, usage string) *Setting {
	if v, ok := os.LookupEnv(env); ok {
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err != nil {
			s.fail("%s=%q is not true or false", env, v)
		} else {
			def = b
		}
	}
	*p = def
	return s.add(&Setting{Env: env, Flag: flagName, Usage: usage, Default: strconv.FormatBool(def), Type: "bool", value: (*boolValue)(p)})
}

// Duration declares a duration setting (250ms, 2m, 168h).
func (s *Set) Duration(p *time.Duration, flagName, env string, def time.Duration, usage string) *Setting {
	if v, ok := os.LookupEnv(env); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(v)); err != nil {
			s.fail("%s=%q is not a duration such as 250ms or 2m", env, v)
		} else {
			def = d
		}
	}
	*p = def
	return s.add(&Setting{Env: env, Flag: flagName, Usage: usage, Default: durString(def), Type: "duration", value: (*durValue)(p)})
}

func durString(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}

func joined(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
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
	n, err := strconv.Atoi(s)
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
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v = boolValue(b)
	return nil
}

type durValue time.Duration

func (v *durValue) String() string { return time.Duration(*v).String() }
func (v *durValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 250ms or 2m", s)
	}
	*v = durValue(d)
	return nil
}
