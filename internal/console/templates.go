package console

import (
	"html/template"
	"time"
)

var funcs = template.FuncMap{
	"at": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"atp": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"ms": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"ok": func(status int) bool { return status >= 200 && status < 300 },
}

const style = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:10px 20px;display:flex;align-items:center;gap:16px}
header h1{font-size:18px;margin:0;flex:1} header form{margin:0} header .note{color:#c5ccd8}
main{padding:16px 20px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:0 0 8px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{border:1px solid #dde1e7;border-radius:6px;padding:8px 12px;min-width:110px}
.tile b{display:block;font-size:22px}
.ok{color:#1b7d3e}.warn{color:#945800}.late{color:#c62828}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#4a5466} td.err{color:#c62828;max-width:520px;word-break:break-word}
.charts{display:flex;gap:16px;flex-wrap:wrap} .chart{margin:0} .ax{stroke:#6b7588} .al{font-size:11px;fill:#4a5466} .ct{font-weight:600;margin:0 0 4px}
.legend{list-style:none;margin:4px 0;padding:0;display:flex;gap:16px;flex-wrap:wrap} .key{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.note{color:#4a5466} input[type=text],input[type=password]{padding:4px 8px;width:260px} button{padding:4px 12px}
.banner{background:#fdecea;color:#c62828;padding:8px 12px;border-radius:6px;margin-bottom:16px}
`

// paceTmpl shows a destination's pace (an *ops.PaceState): requests a minute and a 429 pause.
const paceTmpl = `{{define "pace"}}{{with .}}{{printf "%.0f" .RPM}} requests/min{{if .PausedUntil}}, <span class="warn">paused for a 429 until {{atp .PausedUntil}}</span>{{end}}{{else}}not known here{{end}}{{end}}`

var loginTmpl = template.Must(template.New("login").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dncsync: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>` + style + `</style></head>
<body><header><h1>dncsync</h1></header><main><section id="login">
<h2>Status page</h2>
{{if .Message}}<p class="late" id="login-message">{{.Message}}</p>{{end}}
{{if .Enabled}}<form method="post" action="/login">
<label>Admin token (DNCSYNC_ADMIN_TOKEN) <input type="password" name="token" autocomplete="current-password" autofocus></label>
<button type="submit">Sign in</button></form>{{end}}
</section></main></body></html>`))

var pageTmpl = template.Must(template.Must(template.New("page").Funcs(funcs).Parse(paceTmpl)).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dncsync status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30"><style>` + style + `</style></head>
<body><header><h1>dncsync status</h1><span class="note" id="clock">{{at .Now}}</span>
<form method="post" action="/logout"><button type="submit">Sign out</button></form></header>
<main>
{{if .Error}}<div class="banner" id="error">{{.Error}}</div>{{end}}
<section id="queue"><h2>Queue</h2><div class="tiles">
<div class="tile" id="depth">depth<b>{{.Status.Depth}}</b></div>
<div class="tile" id="ready">ready<b>{{.Status.Ready}}</b></div>
<div class="tile" id="in-flight">in flight<b>{{.Status.Leased}}</b></div>
<div class="tile" id="dead">dead letters<b class="{{if .Status.Dead}}late{{else}}ok{{end}}">{{.Status.Dead}}</b></div>
<div class="tile" id="last-push">last push<b style="font-size:14px">{{atp .Status.LastPushAt}}</b></div>
{{if eq (len .Dests) 1}}{{with index .Dests 0}}<div class="tile" id="pacing">pace of {{.Title}}<b style="font-size:14px">{{template "pace" .Status.Pacing}}{{with .Status.Waiting}}, <span class="warn" id="waiting">{{.}}</span>{{end}}</b></div>
<div class="tile" id="p99">receipt to confirmation, p99<b style="font-size:14px">{{.P99}}</b></div>{{end}}
{{end}}</div>
{{if gt (len .Dests) 1}}<table id="destinations"><tr><th>destination</th><th>depth</th><th>in flight</th><th>dead</th><th>oldest unsynced</th><th>last push</th><th>pace</th><th>receipt to confirmation, p99</th></tr>
{{range .Dests}}<tr id="dest-{{.Name}}"><td>{{.Title}}{{with .Status.Scope}} <span class="scope">({{.}})</span>{{end}}</td><td>{{.Status.Depth}}</td><td>{{.Status.Leased}}</td><td class="{{if .Status.Dead}}late{{end}}">{{.Status.Dead}}</td><td>{{atp .Status.OldestUnsyncedAt}}</td><td>{{atp .Status.LastPushAt}}</td><td>{{template "pace" .Status.Pacing}}{{with .Status.Waiting}}, <span class="warn">{{.}}</span>{{end}}</td><td class="p99">{{.P99}}</td></tr>
{{end}}</table>
<p class="note">p99: the time from an opt-out's receipt to the destination's confirmation that 99% of them took, as this process measured since it started.</p>{{end}}</section>
<section id="compliance"><h2>Oldest unsynced request</h2>
{{with .Clock}}<p>Received {{at .Received}} ({{.Age}} ago): <b class="{{.Level}}" id="business-days">{{.BusinessDays}} of {{.Deadline}} business days</b>
used; due at <span id="clock-destination">{{.Dest}}</span> by {{at .Due}}.</p>{{else}}<p class="ok" id="business-days">Nothing waits for {{if gt (len .Dests) 1}}any destination{{else}}{{.Primary}}{{end}}.</p>{{end}}
</section>
<section id="chart"><h2>The last hour</h2>{{if .Chart}}{{.Chart}}{{else}}<p class="note">{{.ChartNote}}</p>{{end}}</section>
<section id="pushes"><h2>Recent requests to {{if gt (len .Dests) 1}}each destination{{else}}{{.Primary}}{{end}}</h2>
{{if .Pushes}}<table><tr><th>at</th>{{if gt (len .Dests) 1}}<th>destination</th>{{end}}<th>request</th><th>answer</th><th>took</th></tr>
{{range .Pushes}}<tr><td>{{at .At}}</td>{{if gt (len $.Dests) 1}}<td>{{.Destination}}</td>{{end}}<td>{{.Method}} {{.Path}}</td><td class="{{if ok .Status}}ok{{else}}late{{end}}">{{if .Status}}{{.Status}}{{else}}{{.Error}}{{end}}</td><td>{{ms .Duration}}</td></tr>
{{end}}</table>{{else}}<p class="note">No request to {{if gt (len .Dests) 1}}any destination{{else}}{{.Primary}}{{end}} since this process started.</p>{{end}}
</section>
<section id="dead-letters"><h2>Dead letters{{if gt (len .Dests) 1}} at {{.Primary}}{{end}}</h2>
{{if .Dead}}<table><tr><th>number</th><th>action</th><th>attempts</th><th>dead since</th><th>last error</th></tr>
{{range .Dead}}<tr><td><a href="/?number={{.Number}}">{{.Number}}</a></td><td>{{.Action}}</td><td>{{.Attempts}}</td><td>{{at .DeadAt}}</td><td class="err">{{.LastError}}</td></tr>
{{end}}</table>{{if .DeadMore}}<p class="note">More: <code>dncsync dlq list</code>.</p>{{end}}
<p class="note">Re-queue with <code>dncsync dlq retry NUMBER</code>, or drop with <code>dncsync dlq drop NUMBER --reason TEXT</code>.</p>
{{else}}<p class="ok">None.</p>{{end}}{{if gt (len .Dests) 1}}<p class="note">The other destinations' dead letters: <code>dncsync dlq list --destination NAME</code> (their counts are in the table above).</p>{{end}}
</section>
<section id="lookup"><h2>Look up a number</h2>
<form method="get" action="/"><input type="text" name="number" value="{{.Query}}" placeholder="+1 415 555 2671" aria-label="phone number">
<button type="submit">Look up</button></form>
{{if .LookupNote}}<p class="note" id="lookup-note">{{.LookupNote}}</p>{{end}}
{{with .Lookup}}<div id="lookup-result"><p><b>{{.Number}}</b>: <b id="lookup-state">{{.State}}</b>{{if .FirstRequestedAt.IsZero}}{{else}}, first requested {{at .FirstRequestedAt}}{{end}}{{if not $.LookupDests}}{{if .ConfirmedAt.IsZero}}{{else}}, {{$.Primary}} confirmed {{.ConfirmedAction}} at {{at .ConfirmedAt}}{{end}}{{if .LastError}}; last error: <span class="late">{{.LastError}}</span>{{end}}{{end}}</p>
{{with $.LookupDests}}<ul id="lookup-destinations">{{range .}}<li id="lookup-{{.Name}}">{{.Title}}: <b>{{.State}}</b>{{if .ConfirmedAt.IsZero}}{{else}}, confirmed {{.ConfirmedAction}} at {{at .ConfirmedAt}}{{end}}{{if .LastError}}; last error: <span class="late">{{.LastError}}</span>{{end}}</li>
{{end}}</ul>{{end}}
<table><tr><th>at</th><th>kind</th>{{if $.LookupDests}}<th>destination</th>{{end}}<th>action</th><th>source</th><th>raw</th><th>detail</th></tr>
{{range .History}}<tr><td>{{at .At}}</td><td>{{.Kind}}</td>{{if $.LookupDests}}<td>{{.Destination}}</td>{{end}}<td>{{.Action}}</td><td>{{.Source}}</td><td>{{.Raw}}</td><td>{{.Detail}}</td></tr>
{{end}}</table></div>{{end}}
</section>
</main></body></html>`))
