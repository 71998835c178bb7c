package cli

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dncsync/dncsync/internal/adminapi"
	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/phone"
)

// cmdScrub writes a call list back without the numbers that may not be contacted (or with a column
// flagging them), and a report of what it removed and why. It reads the list as import does, a
// batch of rows at a time, so memory stays flat whatever the list's size.
func cmdScrub(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "scrub", "dncsync scrub [flags] --channel voice|sms|email|all FILE|-",
		slices.Concat(toolSettings, []string{"DNCSYNC_READ_TOKEN"})...)
	e.about = "Reads a call list (CSV with a header, or one number a line; gzip detected; - reads stdin) and writes it back\n" +
		"without the rows whose number may not be contacted on --channel for --purpose by --brand (or, with --flag, every row\n" +
		"with a last column saying why not), and a report of the rows removed and the request that decided.\n" +
		"A row whose number is not a valid one is removed too (invalid_number): it cannot be checked; so is a row longer\n" +
		"than import reads whole (row_too_long), even with --flag: it is never written cut.\n" +
		"Exit status: 0 scrubbed; 1 the scrub could not run or stopped (the output is then incomplete); 2 usage."
	server := e.fs.String("server", "", "base URL of a running dncsync: check through its POST /v1/eligibility (uses DNCSYNC_READ_TOKEN, else DNCSYNC_ADMIN_TOKEN)")
	channel := e.fs.String("channel", "all", "the channel the list is for: voice, sms, email, or all (eligible on every channel)")
	purpose := e.fs.String("purpose", "", "what the calls are for (marketing, informational, collections, ...); unset: an opt-out of any purpose removes the number")
	brand := e.fs.String("brand", "", "the brand calling; unset: an opt-out for any brand removes the number")
	column := e.fs.String("column", "", "the phone number column: a header name or a position from 1 (default: as import finds it)")
	country := e.fs.String("country", "", "region for numbers written without + (default DNCSYNC_DEFAULT_REGION)")
	out := e.fs.String("out", "", "the scrubbed list (default FILE.scrubbed.csv, .gz kept; for stdin scrubbed.csv; - writes stdout); a name ending in .gz is gzipped")
	report := e.fs.String("report", "", "the report of rows removed or flagged: line, raw, number, reason, since, event (default FILE.scrub-report.csv)")
	flagRows := e.fs.Bool("flag", false, "keep every row and add a last column \"dncsync\": empty when eligible, else why not")
	// 5,000: read in four parts at once (ops), and a few MB of rows in memory whatever the list.
	batch := e.fs.Int("batch", 5000, fmt.Sprintf("numbers checked at once (at most %d)", ops.MaxEligibility))
	every := e.fs.Duration("progress-every", 5*time.Second, "interval of the progress lines when stderr is not a terminal")
	if err := e.parse(args); err != nil {
		return err
	}
	if e.fs.NArg() != 1 {
		return usageErr("usage: %s", e.usage)
	}
	if err := e.check(); err != nil {
		return err
	}
	if _, err := consent.ParseChannel(*channel); err != nil {
		return usageErr("--channel: %v", err)
	}
	if *batch < 1 || *batch > ops.MaxEligibility {
		return usageErr("--batch %d: want 1 to %d", *batch, ops.MaxEligibility)
	}
	if *country != "" && !phone.ValidRegion(strings.ToUpper(*country)) {
		return usageErr("--country %q is not a region libphonenumber knows (e.g. US, GB)", *country)
	}
	q := ops.EligibilityQuery{Channel: *channel, Purpose: *purpose, Brand: *brand, Country: strings.ToUpper(*country),
		At: time.Now().UTC()}
	name := e.fs.Arg(0)

	var check func(ctx context.Context, numbers []string) ([]ops.Eligibility, error)
	if *server != "" {
		tok := e.cfg.ReadToken
		if tok == "" {
			tok = e.cfg.AdminToken
		}
		c := adminapi.Client{Base: *server, Token: tok}
		check = func(ctx context.Context, numbers []string) ([]ops.Eligibility, error) {
			return c.Eligibility(ctx, numbers, q)
		}
	} else {
		store, err := e.openStoreReadOnly()
		if err != nil {
			return err
		}
		defer store.Close()
		o, err := e.opsOn(store)
		if err != nil {
			return err
		}
		check = func(ctx context.Context, numbers []string) ([]ops.Eligibility, error) {
			return o.EligibleAll(ctx, numbers, q)
		}
	}

	in, size, closeIn, err := openScrubInput(name, e.stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	cr := &countingReader{r: in}
	dr, err := intake.Decompress(cr)
	if err != nil {
		return err
	}
	ir, err := intake.NewImportReader(dr, intake.ReaderOptions{Column: *column})
	if err != nil {
		return err
	}
	outPath, reportFile := scrubPaths(*out, *report, name)
	w, err := createOutput(outPath, e.stdout)
	if err != nil {
		return err
	}
	rep, err := createOutput(reportFile, nil)
	if err != nil {
		w.abort()
		return err
	}
	s := &scrubber{w: w, rep: csv.NewWriter(rep), flag: *flagRows, delim: string(ir.Delim())}
	stop := showProgress(e.stderr, "scrub", s.line, cr, size, *every)
	start := time.Now()
	err = s.run(ctx, ir, check, *batch)
	stop()
	if err == nil {
		err = errors.Join(w.close(), rep.close())
	} else {
		w.abort()
		rep.abort()
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted: no output was kept; run it again")
		}
		return fmt.Errorf("%w (no output was kept)", err)
	}
	verb := "removed"
	if *flagRows {
		verb = "flagged"
	}
	fmt.Fprintf(e.stderr, "%s: %d rows in %s: %d eligible, %d %s (%s) for %s\n", displayName(name), s.rows.Load(),
		time.Since(start).Round(time.Millisecond), s.kept.Load(), s.removed.Load(), verb, s.reasons(), consentScope(q))
	if outPath != "-" {
		fmt.Fprintf(e.stderr, "list: %s\n", outPath)
	}
	fmt.Fprintf(e.stderr, "report: %s\n", reportFile)
	return nil
}

func consentScope(q ops.EligibilityQuery) string {
	sc, _ := consent.ParseScope(q.Channel, q.Purpose, q.Brand)
	return sc.String()
}

// openScrubInput opens name, or stdin for "-" (read once: a scrub needs no digest). size is 0
// when unknown.
func openScrubInput(name string, stdin io.Reader) (io.Reader, int64, func(), error) {
	if name == "-" {
		return stdin, 0, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	return f, st.Size(), func() { f.Close() }, nil
}

// scrubPaths are the output and report paths for input name.
func scrubPaths(out, report, name string) (string, string) {
	base, gz := strings.CutSuffix(name, ".gz")
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if name == "-" {
		base, gz = "scrubbed", false
	}
	if out == "" {
		out = base + ".scrubbed.csv"
		if name == "-" {
			out = "scrubbed.csv"
		}
		if gz {
			out += ".gz"
		}
	}
	if report == "" {
		report = base + ".scrub-report.csv"
		if name == "-" {
			report = "scrub-report.csv"
		}
	}
	return out, report
}

// output is a file written to a temporary name and renamed into place when complete, so that an
// interrupted scrub never leaves a list that looks scrubbed; gzipped when its name ends in .gz.
type output struct {
	io.Writer
	f    *os.File
	buf  *bufio.Writer
	gz   *gzip.Writer
	path string
}

// createOutput opens path for writing ("-": stdout, written as it goes).
func createOutput(path string, stdout io.Writer) (*output, error) {
	if path == "-" && stdout != nil {
		b := bufio.NewWriterSize(stdout, 1<<16)
		return &output{Writer: b, buf: b}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	o := &output{f: f, path: path, buf: bufio.NewWriterSize(f, 1<<16)}
	o.Writer = o.buf
	if strings.HasSuffix(path, ".gz") {
		o.gz = gzip.NewWriter(o.buf)
		o.Writer = o.gz
	}
	return o, nil
}

func (o *output) close() error {
	var errs []error
	if o.gz != nil {
		errs = append(errs, o.gz.Close())
	}
	errs = append(errs, o.buf.Flush())
	if o.f == nil {
		return errors.Join(errs...)
	}
	errs = append(errs, o.f.Sync(), o.f.Close())
	if err := errors.Join(errs...); err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	if err := os.Rename(o.f.Name(), o.path); err != nil {
		os.Remove(o.f.Name())
		return err
	}
	return nil
}

func (o *output) abort() {
	if o.f != nil {
		o.f.Close()
		os.Remove(o.f.Name())
	}
}

// scrubber writes the list and the report, one batch of rows at a time.
type scrubber struct {
	w     io.Writer
	rep   *csv.Writer
	flag  bool
	delim string

	rows, kept, removed atomic.Int64
	byReason            [8]atomic.Int64
	started             time.Time
}

// scrubReasons are the reasons a row is removed, in the order the summary gives them.
var scrubReasons = []string{consent.ReasonOptedOut, consent.ReasonRevokeAll, ops.ReasonInvalidNumber, intake.RowTooLong}

func (s *scrubber) line() string {
	rows := s.rows.Load()
	return fmt.Sprintf("%d rows, %.0f/s, %d eligible, %d not", rows,
		float64(rows)/max(time.Since(s.started).Seconds(), 1e-3), s.kept.Load(), s.removed.Load())
}

func (s *scrubber) reasons() string {
	var parts []string
	for i, r := range scrubReasons {
		if n := s.byReason[i].Load(); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (s *scrubber) count(reason string) {
	if i := slices.Index(scrubReasons, reason); i >= 0 {
		s.byReason[i].Add(1)
	}
}

func (s *scrubber) run(ctx context.Context, ir *intake.ImportReader, check func(context.Context, []string) ([]ops.Eligibility, error), size int) error {
	s.started = time.Now()
	if err := s.rep.Write([]string{"line", "raw", "number", "reason", "since", "event_id", "event_scope", "event_policy", "event_occurred_at", "record"}); err != nil {
		return err
	}
	if ir.HeaderText != "" {
		head := ir.HeaderText
		if s.flag {
			head += s.delim + "dncsync"
		}
		if _, err := io.WriteString(s.w, head+"\n"); err != nil {
			return err
		}
	}
	rows := make([]intake.ImportRow, 0, size)
	numbers := make([]string, 0, size)
	for {
		rows, numbers = rows[:0], numbers[:0]
		var rerr error
		for len(rows) < size {
			r, err := ir.Next()
			if err != nil {
				rerr = err
				break
			}
			rows = append(rows, r)
			if r.Problem == "" && r.Raw != "" {
				numbers = append(numbers, r.Raw)
			}
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return fmt.Errorf("read the list: %w", rerr)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var answers []ops.Eligibility
		if len(numbers) > 0 {
			var err error
			if answers, err = check(ctx, numbers); err != nil {
				return err
			}
		}
		if err := s.write(rows, answers); err != nil {
			return err
		}
		if rerr != nil {
			s.rep.Flush()
			return s.rep.Error()
		}
	}
}

// write writes a batch: each row with the answer for its number (answers are in the order of the
// rows that had one).
func (s *scrubber) write(rows []intake.ImportRow, answers []ops.Eligibility) error {
	j := 0
	for _, r := range rows {
		s.rows.Add(1)
		var a ops.Eligibility
		switch {
		case r.Problem != "":
			a.Reason = r.Problem
		case r.Raw == "":
			a.Reason = ops.ReasonInvalidNumber
		default:
			a = answers[j]
			j++
		}
		if a.Eligible {
			s.kept.Add(1)
			if err := s.emit(r.Record, ""); err != nil {
				return err
			}
			continue
		}
		s.removed.Add(1)
		s.count(a.Reason)
		// A row too long to read whole is known by its first bytes only: never written cut.
		if s.flag && r.Problem == "" {
			if err := s.emit(r.Record, a.Reason); err != nil {
				return err
			}
		}
		rec := []string{fmt.Sprint(r.Line), r.Raw, a.Number, a.Reason, "", "", "", "", "", r.Record}
		if !a.Since.IsZero() {
			rec[4] = a.Since.UTC().Format(time.RFC3339Nano)
		}
		if ev := a.Event; ev != nil {
			rec[5], rec[6], rec[7], rec[8] = ev.EventID, ev.Scope.String(), string(ev.Policy), ev.OccurredAt.UTC().Format(time.RFC3339Nano)
		}
		if err := s.rep.Write(rec); err != nil {
			return err
		}
	}
	s.rep.Flush()
	return s.rep.Error()
}

// emit writes a row as it was read (its lines joined by "\n"), with the flag column when flagging.
func (s *scrubber) emit(record, flag string) error {
	if s.flag {
		record += s.delim + flag
	}
	_, err := io.WriteString(s.w, record+"\n")
	return err
}
