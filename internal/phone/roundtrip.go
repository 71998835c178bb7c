package phone

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Parsing an E.164 string can read other digits than it holds only one way: the library strips
// what looks like a national prefix from the start of the national number, when the metadata's
// national_prefix_for_parsing matches there (maybeStripNationalPrefixAndCarrierCode, the Belarus
// "8 810" case in badCases). Where it cannot match, the round trip is certain and its second full
// parse, about a third of Parse's time, can be skipped: NANP numbers never start with the prefix 1,
// and most other countries' numbers do not start with theirs. TestRandomValidNumbers and FuzzParse
// hold this equal to the round trip itself.

// prefixPatterns maps a country calling code to its anchored national_prefix_for_parsing, from the
// metadata the library uses to parse "+CC ..." (the main region of the code, or the non-geographic
// entity); nil when the country has none.
var prefixPatterns = sync.OnceValue(func() map[int32]*regexp.Regexp {
	out := map[int32]*regexp.Regexp{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil // mayStripPrefix then always says yes: the round trip runs
	}
	for _, md := range coll.GetMetadata() {
		cc := md.GetCountryCode()
		if md.GetId() != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY && phonenumbers.GetRegionCodeForCountryCode(int(cc)) != md.GetId() {
			continue
		}
		var re *regexp.Regexp
		if p := md.GetNationalPrefixForParsing(); p != "" {
			re = regexp.MustCompile("^(?:" + p + ")")
		}
		out[cc] = re
	}
	return out
})

// mayStripPrefix reports whether parsing e164 (of calling code cc) could strip a national prefix,
// so that the round trip must be checked. Unknown codes say yes.
func mayStripPrefix(cc int32, e164 string) bool {
	pats := prefixPatterns()
	re, ok := pats[cc]
	if !ok {
		return true
	}
	if re == nil {
		return false
	}
	nsn := e164[1+len(strconv.Itoa(int(cc))):]
	return re.MatchString(nsn)
}
