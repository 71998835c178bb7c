package genesyssim

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/simfault"
)

// export is one export of a list: a CSV snapshot behind a download id.
type export struct {
	download string
	at       time.Time
}

// exportState is a list's exports: the latest one ready, and one started that is not yet.
type exportState struct {
	done, pending *export
	polls         int // GETs left before pending is ready
}

// startExport answers POST .../export: the export of the list as it is now starts, and a
// DomainEntityRef names the list (platformclientv2/outboundapi.go PostOutboundDnclistExport).
func (s *Server) startExport(r *http.Request, _ []byte) simfault.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[r.PathValue("id")]
	if l == nil {
		return apiError(http.StatusNotFound, "not.found", "The requested DNC list was not found.")
	}
	now := s.now()
	id := "export-" + randomHex(8)
	s.files[id] = s.csvLocked(l)
	s.stats.Exports++
	st := s.exportOf(l)
	st.pending, st.polls = &export{download: id, at: now}, s.cfg.ExportPolls
	if st.polls < 0 {
		st.done, st.pending = st.pending, nil
	}
	return simfault.JSON(http.StatusOK, map[string]string{"id": l.info.ID, "name": l.info.Name,
		"selfUri": "/api/v2/outbound/dnclists/" + l.info.ID})
}

func (s *Server) exportOf(l *list) *exportState {
	if l.exports == nil {
		l.exports = &exportState{}
	}
	return l.exports
}

// getExport answers GET .../export with the ExportUri of the latest export ready,
// {"uri","exportTimestamp"} (platformclientv2/exporturi.go), or 404 when none is: the terraform
// provider takes a 400 or 404 here as "not ready yet" (terraform-provider-genesyscloud
// genesyscloud/outbound_dnclist/genesyscloud_outbound_dnclist_proxy.go getOutboundDnclistEntriesFn).
func (s *Server) getExport(r *http.Request, _ []byte) simfault.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[r.PathValue("id")]
	if l == nil {
		return apiError(http.StatusNotFound, "not.found", "The requested DNC list was not found.")
	}
	st := s.exportOf(l)
	if st.pending != nil {
		if st.polls > 0 {
			st.polls--
		} else {
			st.done, st.pending = st.pending, nil
		}
	}
	if st.done == nil {
		return apiError(http.StatusNotFound, "not.found", "No export is available for this DNC list.")
	}
	return simfault.JSON(http.StatusOK, map[string]string{
		"uri":             s.apiBase(r) + "/api/v2/downloads/" + st.done.download,
		"exportTimestamp": st.done.at.UTC().Format("2006-01-02T15:04:05.000Z"),
	})
}

// download answers GET /api/v2/downloads/{id}, which "issues a redirect to a signed secure
// download URL" (platformclientv2/downloadsapi.go GetDownload); with issueRedirect=false it names
// the URL in {"url"} instead.
func (s *Server) download(r *http.Request, _ []byte) simfault.Reply {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.files[id]
	if ok {
		s.stats.Downloads++
	}
	s.mu.Unlock()
	if !ok {
		return apiError(http.StatusNotFound, "not.found", "The requested download was not found.")
	}
	signed := s.apiBase(r) + "/sim/files/" + url.PathEscape(id) + "?" + url.Values{"sig": {s.sign(id)}}.Encode()
	if r.URL.Query().Get("issueRedirect") == "false" {
		return simfault.JSON(http.StatusOK, map[string]string{"url": signed})
	}
	rep := simfault.Empty(http.StatusSeeOther)
	rep.Header.Set("Location", signed)
	return rep
}

// file serves a signed download link: no bearer token, no rate limit, no faults; a wrong
// signature is 403, as a storage service answers.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	b, ok := s.files[id]
	s.mu.Unlock()
	status := http.StatusOK
	switch {
	case !ok:
		status = http.StatusNotFound
	case r.URL.Query().Get("sig") != s.sign(id):
		status = http.StatusForbidden
	}
	s.mu.Lock()
	s.stats.Record(KindFile, status)
	s.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	_, _ = w.Write(b)
}

func (s *Server) sign(id string) string {
	h := sha256.Sum256([]byte(s.fileSalt + "/" + id))
	return hex.EncodeToString(h[:16])
}

// csvHeader names the columns of an export. Genesys Cloud does not publish the header; the
// terraform provider reads the number from the first column and the expiration from the third
// (genesyscloud_outbound_dnclist_proxy.go getOutboundDnclistEntriesFn), which this layout keeps.
var csvHeader = []string{"phone_number", "contact_method", "expiration_date_time"}

// csvLocked writes l's entries, expired ones included, sorted by number. Caller holds s.mu.
func (s *Server) csvLocked(l *list) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(csvHeader)
	for _, n := range slices.Sorted(maps.Keys(l.entries)) {
		e := l.entries[n]
		num := e.Number
		if s.cfg.ExportDigits {
			num = strings.TrimPrefix(num, "+")
		}
		exp := ""
		if !e.ExpiresAt.IsZero() {
			exp = e.ExpiresAt.UTC().Format(expirationLayout)
		}
		_ = w.Write([]string{num, "Phone", exp})
	}
	w.Flush()
	return buf.Bytes()
}
