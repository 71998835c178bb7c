// Package doctor is the report every setup check writes (`dncsync doctor`): checks run in order and
// print what they find as they go; each ends ok, FAIL with what to fix, WARN with a risk that does
// not stop dncsync, or SKIP when a check it needs did not pass; a summary of one line per check closes the report.
package doctor

import (
	"fmt"
	"io"
)

// Report collects the checks of one run and prints them to its writer.
type Report struct {
	out    io.Writer
	checks []result
	// blocked holds, for each check that did not pass, what a check that needs it says instead.
	blocked map[string]string
}

type result struct {
	name    string
	verdict string // "ok", "FAIL", "WARN" or "SKIP"
	why     string
}

// New is an empty report printing to out.
func New(out io.Writer) *Report { return &Report{out: out, blocked: map[string]string{}} }

// Detail prints one finding of the check being run, indented under the report's heading.
func (r *Report) Detail(format string, args ...any) {
	fmt.Fprintf(r.out, "  "+format+"\n", args...)
}

// Check records the outcome of fn under name: ok when fn returns "", else FAIL with what fn says to
// fix. When a check named in needs did not pass, fn is not run and the check is skipped, naming
// the first check to fix.
func (r *Report) Check(name string, needs []string, fn func() (fix string)) {
	for _, n := range needs {
		if why, bad := r.blocked[n]; bad {
			r.checks = append(r.checks, result{name, "SKIP", why})
			r.blocked[name] = why
			return
		}
	}
	if fix := fn(); fix != "" {
		r.checks = append(r.checks, result{name, "FAIL", fix})
		r.blocked[name] = "fix " + name + " first"
		return
	}
	r.checks = append(r.checks, result{name, "ok", ""})
}

// Warn records the outcome of fn under name as Check does, except that what fn says is a WARN: a
// risk worth fixing (a setting that could lose the last moments' opt-outs) that does not fail the
// report and blocks no other check.
func (r *Report) Warn(name string, needs []string, fn func() (warning string)) {
	for _, n := range needs {
		if why, bad := r.blocked[n]; bad {
			r.checks = append(r.checks, result{name, "SKIP", why})
			return
		}
	}
	if w := fn(); w != "" {
		r.checks = append(r.checks, result{name, "WARN", w})
		return
	}
	r.checks = append(r.checks, result{name, "ok", ""})
}

// Passed reports whether check name ran and passed.
func (r *Report) Passed(name string) bool {
	for _, c := range r.checks {
		if c.name == name {
			return c.verdict == "ok"
		}
	}
	return false
}

// Summary ends the output with a blank line and one line per check, and reports whether none
// failed.
func (r *Report) Summary() bool {
	fmt.Fprintln(r.out)
	ok := true
	for _, c := range r.checks {
		switch c.verdict {
		case "ok":
			fmt.Fprintf(r.out, "%-20s ok\n", c.name)
		default:
			ok = ok && c.verdict != "FAIL"
			fmt.Fprintf(r.out, "%-20s %s: %s\n", c.name, c.verdict, c.why)
		}
	}
	return ok
}
