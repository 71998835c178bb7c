package setting

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Groups is the set's groups in order of their first declaration.
func (s *Set) Groups() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range *s.all {
		if !seen[st.Group] {
			seen[st.Group] = true
			out = append(out, st.Group)
		}
	}
	return out
}

// PrintHelp writes a command's help: its own flags (those of fs that are not settings of s) first,
// then the settings of the named groups (every group when none is named), each group under its
// heading, required ones marked.
func (s *Set) PrintHelp(w io.Writer, fs *flag.FlagSet, groups ...string) {
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
	}
	if len(groups) == 0 {
		groups = s.Groups()
	}
	fmt.Fprintf(w, "\nSettings: each a flag or an environment variable alike; the flag wins.\n")
	for _, g := range groups {
		var in []*Setting
		for _, st := range *s.all {
			if st.Group == g && fs.Lookup(st.Flag) != nil {
				in = append(in, st)
			}
		}
		if len(in) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", headingOf(g))
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

func headingOf(g string) string {
	if g == "" {
		return "General"
	}
	return strings.ToUpper(g[:1]) + g[1:]
}

// Markdown writes the reference table of every setting, group by group: the configuration
// document is this output (a test holds the document to it).
func (s *Set) Markdown(w io.Writer) {
	for _, g := range s.Groups() {
		fmt.Fprintf(w, "### %s\n\n| variable | flag | default | required | meaning |\n| --- | --- | --- | --- | --- |\n", headingOf(g))
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
