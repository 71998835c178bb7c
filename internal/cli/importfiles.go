package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/dncsync/dncsync/internal/intake"
)

// The import's files beside the rows: the input spooled from stdin, the report of rows not
// imported, and the progress shown while it runs.

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

// startProgress shows an import's progress on w until the returned stop is called: a bar when w is
// a terminal, else a plain line every interval.
func startProgress(w io.Writer, c *intake.ImportCounts, cr *countingReader, size int64, every time.Duration) (stop func()) {
	start := time.Now()
	return showProgress(w, "import", func() string {
		rows := c.Rows.Load()
		return fmt.Sprintf("%d rows, %.0f/s, accepted %d, duplicate %d, rejected %d, invalid %d", rows,
			float64(rows)/max(time.Since(start).Seconds(), 1e-3), c.Accepted.Load(), c.Duplicate.Load(),
			c.Rejected.Load(), c.Invalid.Load())
	}, cr, size, every)
}

// showProgress shows line and how much of the file (size bytes, cr counting them) was read, on w
// until the returned stop is called: a bar when w is a terminal, else "name: line" every interval.
func showProgress(w io.Writer, name string, line func() string, cr *countingReader, size int64, every time.Duration) (stop func()) {
	start := time.Now()
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
				fmt.Fprintf(w, "%s: %s%s%s\n", name, line(), pct, eta)
			}
		})
	}
	return func() { close(done); wg.Wait() }
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
