package setting

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Groups is the set's groups: for help, those made First, then the others in order of their first
// declaration.
func (s *Set) Groups() []string { return s.groups(*s.first) }

// groups is the groups in order of their first declaration, those of first before them.
func (s *Set) groups(first []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range first {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for _, st := range *s.all {
		if !seen[st.Group] {
			seen[st.Group] = true
			out = append(out, st.Group)
		}
	}
	return out
}

// PrintHelp writes a command's help: its own flags (those of fs that are not settings of s) first,
// then the settings registered on fs, each group under its heading in the order of declaration,
// required ones marked.
func (s *Set) PrintHelp(w io.Writer, fs *flag.FlagSet) {
	var own []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if s.Lookup(f.Name) == nil {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintf(w, "Flags of this command:\n")
		for _, f := range own {
			name, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if name != "" {
				line += " " + name
			}
			fmt.Fprintln(w, line)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, "        %s\n", usage)
		}
		fmt.Fprintln(w)
	}
	settings := false
	fs.VisitAll(func(f *flag.Flag) { settings = settings || s.Lookup(f.Name) != nil })
	if !settings {
		return
	}
	fmt.Fprintf(w, "Settings: each a flag or an environment variable alike; the flag wins.\n")
	for _, g := range s.Groups() {
		var in []*Setting
		for _, st := range *s.all {
			if st.Group == g && fs.Lookup(st.Flag) != nil {
				in = append(in, st)
			}
		}
		if len(in) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", s.headingOf(g))
		for _, st := range in {
			fmt.Fprintf(w, "  --%s %s  $%s%s\n", st.Flag, st.Type, st.Env, st.note())
			fmt.Fprintf(w, "        %s\n", st.Usage)
		}
	}
}

// note is what help says after a setting's name: required, or its default.
func (st *Setting) note() string {
	var parts []string
	switch st.Required {
	case "":
	case "yes":
		parts = append(parts, "REQUIRED")
	default:
		parts = append(parts, "REQUIRED "+st.Required)
	}
	if st.Default != "" && !st.Secret {
		parts = append(parts, "default "+st.Default)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, "; ") + ")"
}

func (s *Set) headingOf(g string) string {
	if h := s.headings[g]; h != "" {
		return h
	}
	if g == "" {
		return "General"
	}
	return strings.ToUpper(g[:1]) + g[1:]
}

// Markdown writes the reference table of every setting, group by group: the configuration
// document is this output (a test holds the document to it). Groups come in order of declaration.
func (s *Set) Markdown(w io.Writer) {
	for _, g := range s.groups(nil) {
		fmt.Fprintf(w, "## %s\n\n| variable | flag | default | required | meaning |\n| --- | --- | --- | --- | --- |\n", s.headingOf(g))
		for _, st := range *s.all {
			if st.Group != g {
				continue
			}
			def := st.Default
			if st.Secret || def == "" {
				def = ""
			} else {
				def = "`" + def + "`"
			}
			fmt.Fprintf(w, "| `%s` | `--%s` | %s | %s | %s |\n", st.Env, st.Flag, def, st.Required, cell(st.Usage))
		}
		fmt.Fprintln(w)
	}
}

// cell is text for a Markdown table cell: no pipe ends the cell, no line break the row.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
