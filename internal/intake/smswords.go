package intake

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// What an SMS reply means. The FCC's 2024 order (47 CFR 64.1200(a)(10)) makes "stop, quit, end,
// revoke, opt out, cancel, unsubscribe" in a reply a revocation of consent by reasonable means,
// whatever else the reply says; Twilio's defaults add STOPALL and OPTOUT. So a reply whose words
// include one of these is an opt-out ("Stop.", "STOP please", full-width "ＳＴＯＰ", "opt-out").
// START, YES and UNSTOP are consent to texts, which is not consent to calls.

// defaultStopWords are the opt-out keywords, each a phrase of one or more words.
var defaultStopWords = []string{"stop", "stopall", "quit", "end", "revoke", "opt out", "optout", "cancel", "unsubscribe"}

// startWords re-subscribe to texts (Twilio's defaults); a reply that is only one of these.
var startWords = map[string]bool{"start": true, "yes": true, "unstop": true}

// helpWords ask for help (Twilio's defaults).
var helpWords = map[string]bool{"help": true, "info": true}

// smsMeaning is what dncsync makes of a reply.
type smsMeaning int

const (
	smsNothing smsMeaning = iota // no keyword: recorded as ignored
	smsStop                      // an opt-out
	smsStart                     // consent to texts again
	smsHelp                      // a request for help
)

// smsWords holds the opt-out phrases, normalized.
type smsWords struct{ stop [][]string }

// newSMSWords adds extra opt-out keywords (DNCSYNC_SMS_STOP_WORDS: ARRET, ALTO, ...) to the
// defaults. Each extra is normalized like a reply, so "Opt-Out" and "opt out" are one phrase.
func newSMSWords(extra []string) smsWords {
	var w smsWords
	for _, p := range append(append([]string(nil), defaultStopWords...), extra...) {
		if f := smsFields(p); len(f) > 0 {
			w.stop = append(w.stop, f)
		}
	}
	return w
}

// smsFields normalizes text into words: Unicode compatibility decomposition (NFKD: full-width and
// other compatibility forms become plain letters) without the combining marks (so "ARRÊT" matches
// a configured ARRET), lower case, and every run of punctuation, symbols or spaces a word break.
func smsFields(text string) []string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(text) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// meaning reads a reply. An opt-out keyword anywhere wins over everything: when unsure, do not call.
func (w smsWords) meaning(text string) smsMeaning {
	words := smsFields(text)
	for _, phrase := range w.stop {
		if containsPhrase(words, phrase) {
			return smsStop
		}
	}
	if len(words) == 1 {
		switch {
		case startWords[words[0]]:
			return smsStart
		case helpWords[words[0]]:
			return smsHelp
		}
	}
	return smsNothing
}

func containsPhrase(words, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(words); i++ {
		match := true
		for j, p := range phrase {
			if words[i+j] != p {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
