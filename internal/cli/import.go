package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/setting"
)

// cmdImport loads a file of opt-outs: straight into the store, or through a running service with
// --server. Progress goes to stderr (a bar on a terminal, a line every few seconds otherwise), the
// summary to stdout, rows not imported to the report file.
func cmdImport(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "import", "dncsync import [flags] FILE|-", slices.Concat(toolSettings, []string{groupImport})...)
	e.about = "CSV with a header, or one number a line; gzip is detected; UTF-8 or UTF-16 with a byte-order mark; - reads stdin.\n" +
		"Exit status: 0 imported; 1 the import could not run or stopped; 2 usage; 3 no row was imported; 4 more than\n" +
		"--max-rejected of the rows were not."
	server := e.fs.String("server", "", "base URL of a running dncsync: import through it (uses DNCSYNC_ADMIN_TOKEN)")
	column := e.fs.String("column", "", "the phone number column: a header name or a position from 1 (default: a column named phone, phoneNumber, number, ...; else the first)")
	country := e.fs.String("country", "", "region for numbers written without + and rows without a country column (default DNCSYNC_DEFAULT_REGION)")
	report := e.fs.String("report", "", "file for rows not imported: line, raw value, status, reason (default FILE.rejects.csv; for stdin import-rejects.csv)")
	batch := e.fs.Int("batch", 500, "rows per store write or request (at most 1000 with --server)")
	workers := e.fs.Int("workers", 4, "batches in flight at once")
	every := e.fs.Duration("progress-every", 5*time.Second, "interval of the progress lines when stderr is not a terminal")
	maxRow, maxRejected := bindImport(e.set)
	if err := e.parse(args); err != nil {
		return err
	}
	if e.fs.NArg() != 1 {
		return usageErr("usage: %s", e.usage)
	}
	if err := e.check(); err != nil {
		return err
	}
	cfg := e.cfg
	if *batch < 1 || (*server != "" && *batch > intake.MaxBatch) {
		return fmt.Errorf("--batch %d: want 1 to %d", *batch, intake.MaxBatch)
	}
	if *workers < 1 {
		return errors.New("--workers must be at least 1")
	}
	if *maxRow < intake.MinMaxRow || *maxRow > intake.MaxMaxRow {
		return fmt.Errorf("DNCSYNC_IMPORT_MAX_ROW (--max-row) %d: want %d to %d bytes", *maxRow, intake.MinMaxRow, intake.MaxMaxRow)
	}
	region := cfg.DefaultRegion
	if *country != "" {
		region = strings.ToUpper(*country)
	}
	if !phone.ValidRegion(region) {
		return fmt.Errorf("--country %q is not a region libphonenumber knows (e.g. US, GB)", region)
	}

	name := e.fs.Arg(0)
	f, size, cleanup, err := openImportFile(name, e.stdin)
	if err != nil {
		return err
	}
	defer cleanup()
	digest, err := intake.Digest(f)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	cr := &countingReader{r: f}
	dr, err := intake.Decompress(cr)
	if err != nil {
		return err
	}
	ir, err := intake.NewImportReader(dr, intake.ReaderOptions{Column: *column, MaxRow: *maxRow})
	if err != nil {
		return err
	}

	var sink intake.ImportSink
	if *server != "" {
		sink = intake.ServerSink{Base: *server, Token: cfg.AdminToken, Country: strings.ToUpper(*country)}
	} else {
		store, err := app.OpenStore(cfg)
		if err != nil {
			if errors.Is(err, app.ErrStoreLocked) {
				return fmt.Errorf("%w\nthe embedded store in %s is held by a running `dncsync serve`: import through it instead:\n"+
					"  DNCSYNC_ADMIN_TOKEN=... dncsync import --server http://localhost:%d %s", err, cfg.DataDir, cfg.Port, name)
			}
			return err
		}
		defer store.Close()
		if err := store.SameDestinations(cfg.Destinations()); err != nil {
			return err
		}
		sink = intake.StoreSink{Store: store, DefaultRegion: region}
	}

	rep := newRejectReport(reportPath(*report, name))
	defer rep.close()
	var counts intake.ImportCounts
	stop := startProgress(e.stderr, &counts, cr, size, *every)
	start := time.Now()
	err = intake.Import(ctx, ir, sink, intake.ImportOptions{Digest: digest, Workers: *workers, BatchSize: *batch,
		OnProblem: rep.write}, &counts)
	stop()
	if cerr := rep.close(); cerr != nil && err == nil {
		err = cerr
	}
	el := time.Since(start)
	rows := counts.Rows.Load()
	fmt.Fprintf(e.stdout, "%s: %d rows in %s (%.0f rows/s): %d accepted, %d duplicate, %d rejected, %d invalid\n",
		displayName(name), rows, el.Round(time.Millisecond), float64(rows)/max(el.Seconds(), 1e-3),
		counts.Accepted.Load(), counts.Duplicate.Load(), counts.Rejected.Load(), counts.Invalid.Load())
	if n := counts.Folded.Load(); n > 0 {
		fmt.Fprintf(e.stdout, "%d of the rows repeated an identical row and were recorded with it, as a count\n", n)
	}
	if rep.n > 0 {
		fmt.Fprintf(e.stdout, "rows not imported are listed in %s\n", rep.path)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted; what was recorded stays, and running the same import again completes it")
		}
		return fmt.Errorf("%w (what was recorded stays; running the same import again completes it)", err)
	}
	return importVerdict(&counts, *maxRejected)
}

// groupImport is the group of the import's own settings.
const groupImport = "import"

// bindImport declares the import's settings: they are the environment's as well as flags.
func bindImport(s *setting.Set) (maxRow *int, maxRejected *setting.Share) {
	maxRow, maxRejected = new(int), new(setting.Share)
	g := s.Group(groupImport).Heading("Import").First()
	g.Int(maxRow, "max-row", "DNCSYNC_IMPORT_MAX_ROW", intake.DefaultMaxRow, "longest row read whole, in bytes (a field is part of its row); longer rows are rejected as row_too_long")
	g.Share(maxRejected, "max-rejected", "DNCSYNC_IMPORT_MAX_REJECTED", defaultMaxRejected, "exit 4 when more than this share of the rows is not imported (rejected or invalid): 0.1 or 10%")
	return maxRow, maxRejected
}

// defaultMaxRejected is the share of rows not imported above which an import exits 4.
const defaultMaxRejected = 0.10

// Exit statuses of an import that ran to its end but whose file was mostly not imported: scripts
// and schedulers must not take it for a success.
const (
	exitNothingImported = 3
	exitTooManyRejected = 4
)

// importVerdict is nil for an import that recorded its rows (accepted, or already recorded by an
// earlier run), else an exitError saying why not.
func importVerdict(c *intake.ImportCounts, maxRejected setting.Share) error {
	rows, recorded := c.Rows.Load(), c.Accepted.Load()+c.Duplicate.Load()
	refused := c.Rejected.Load() + c.Invalid.Load()
	switch {
	case recorded == 0:
		return exit(exitNothingImported, fmt.Errorf("no row was imported (%d rows read)", rows))
	case float64(refused) > float64(maxRejected)*float64(rows):
		return exit(exitTooManyRejected, fmt.Errorf("%d of %d rows (%.1f%%) were not imported, more than --max-rejected %s",
			refused, rows, 100*float64(refused)/float64(rows), maxRejected))
	}
	return nil
}

// openImportFile opens name, or spools stdin ("-") to a temporary file: the digest needs a first
// pass over the content before the rows are read.
func openImportFile(name string, stdin io.Reader) (f *os.File, size int64, cleanup func(), err error) {
	if name != "-" {
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
	tmp, err := os.CreateTemp("", "dncsync-import-*")
	if err != nil {
		return nil, 0, nil, fmt.Errorf("spool stdin: %w", err)
	}
	cleanup = func() { tmp.Close(); os.Remove(tmp.Name()) }
	n, err := io.Copy(tmp, stdin)
	if err != nil {
		cleanup()
		return nil, 0, nil, fmt.Errorf("spool stdin: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return tmp, n, cleanup, nil
}

func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

func reportPath(flagValue, name string) string {
	switch {
	case flagValue != "":
		return flagValue
	case name == "-":
		return "import-rejects.csv"
	}
	base := strings.TrimSuffix(name, ".gz")
	return strings.TrimSuffix(base, filepath.Ext(base)) + ".rejects.csv"
}

// rejectReport writes rows not imported as CSV, creating the file at the first one: a clean import
// leaves none behind. A report from an earlier run of the same file is replaced.
type rejectReport struct {
	path string
	mu   sync.Mutex
	f    *os.File
	w    *csv.Writer
	n    int
	err  error
}

func newRejectReport(path string) *rejectReport { return &rejectReport{path: path} }

func (r *rejectReport) write(row intake.ImportRow, o intake.ImportOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	if r.f == nil {
		if err := os.MkdirAll(filepath.Dir(r.path), 0o750); err != nil {
			r.err = err
			return
		}
		f, err := os.Create(r.path)
		if err != nil {
			r.err = fmt.Errorf("report file: %w", err)
			return
		}
		r.f, r.w = f, csv.NewWriter(f)
		r.err = r.w.Write([]string{"line", "raw", "status", "reason", "record", "repeats"})
	}
	r.n++
	if err := r.w.Write([]string{strconv.Itoa(row.Line), row.Raw, o.Status, o.Reason, row.Record, strconv.Itoa(row.Repeats)}); err != nil {
		r.err = err
	}
}

func (r *rejectReport) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return r.err
	}
	r.w.Flush()
	if err := r.w.Error(); err != nil && r.err == nil {
		r.err = err
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	r.f = nil
	return r.err
}

// countingReader counts the bytes read from the file (compressed, for a gzip file): progress and
// ETA are measured against the file's size.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// startProgress shows progress on w until the returned stop is called: a bar when w is a terminal,
// else a plain line every interval.
func startProgress(w io.Writer, c *intake.ImportCounts, cr *countingReader, size int64, every time.Duration) (stop func()) {
	start := time.Now()
	line := func() string {
		rows := c.Rows.Load()
		return fmt.Sprintf("%d rows, %.0f/s, accepted %d, duplicate %d, rejected %d, invalid %d", rows,
			float64(rows)/max(time.Since(start).Seconds(), 1e-3), c.Accepted.Load(), c.Duplicate.Load(),
			c.Rejected.Load(), c.Invalid.Load())
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions64(size, progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth(), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		wg.Go(func() {
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				_ = bar.Set64(cr.n.Load())
				bar.Describe(line())
				select {
				case <-done:
					_ = bar.Finish()
					return
				case <-t.C:
				}
			}
		})
	} else {
		wg.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
				}
				pct, eta := "", ""
				if read := cr.n.Load(); size > 0 && read > 0 {
					pct = fmt.Sprintf(", %.0f%% of %s", 100*float64(read)/float64(size), mib(size))
					eta = fmt.Sprintf(", ETA %s", (time.Duration(float64(time.Since(start)) * float64(size-read) / float64(read))).Round(time.Second))
				}
				fmt.Fprintf(w, "import: %s%s%s\n", line(), pct, eta)
			}
		})
	}
	return func() { close(done); wg.Wait() }
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
