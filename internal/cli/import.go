package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/app"
	"github.com/dncsync/dncsync/internal/intake"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/setting"
)

// cmdImport loads a file of opt-outs: straight into the store, or through a running service with
// --server. Progress goes to stderr (a bar on a terminal, a line every few seconds otherwise), the
// summary to stdout, rows not imported to the report file.
func cmdImport(ctx context.Context, o cmdIO, args []string) error {
	e := newEnv(o, "import", "dncsync import [flags] FILE|-", slices.Concat(toolSettings, []string{groupImport, "DNCSYNC_REVOKE_ALL"})...)
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
		revokeAll, err := cfg.RevokeAllPolicy()
		if err != nil {
			return fmt.Errorf("DNCSYNC_REVOKE_ALL: %w", err)
		}
		sink = intake.StoreSink{Store: importTarget(store, store.Store), DefaultRegion: region, RevokeAll: revokeAll}
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
