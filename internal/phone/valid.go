package phone

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Validity is the library's rule, run on patterns compiled once. The library's own check
// (getNumberTypeHelper) builds the anchored pattern string of every number type, looks it up in a
// locked cache and matches it twice (isNumberPossibleForDesc, then isNumberMatchingDesc) for each
// of up to eleven types: most of a fresh number's parse time and allocations. Here each type's
// pattern is compiled once per region, exactly as the library anchors it, and matched once.
// TestValidRegionIsTheLibrarys holds the two equal over every calling code.

// desc is one number type's rule: the lengths it allows (none: any) and its pattern.
type desc struct {
	lengths []int32
	re      *regexp.Regexp
}

func newDesc(d *phonenumbers.PhoneNumberDesc) desc {
	// The library's anchoring, "^(?:" + pattern + ")$", so that the two match the same strings.
	return desc{lengths: d.PossibleLength, re: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

func (d *desc) match(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.re.MatchString(nsn)
}

// regionRules are a region's validity rules and its leading-digit rule (GetRegionCodeForNumber).
type regionRules struct {
	leading *regexp.Regexp // nil: none
	general desc
	// types are the types any match of which makes a number valid, in the library's order:
	// premium rate, toll free, shared cost, VoIP, personal, pager, UAN, voicemail, fixed line,
	// then mobile unless its pattern is the fixed line's (the library does not try it then).
	types []desc
}

func newRegionRules(md *phonenumbers.PhoneMetadata) *regionRules {
	r := &regionRules{general: newDesc(md.GetGeneralDesc())}
	if l := md.GetLeadingDigits(); l != "" {
		r.leading = regexp.MustCompile("^(?:" + l + ")")
	}
	for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(),
		md.GetVoip(), md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(), md.GetFixedLine()} {
		r.types = append(r.types, newDesc(d))
	}
	if !md.GetSameMobileAndFixedLinePattern() {
		r.types = append(r.types, newDesc(md.GetMobile()))
	}
	return r
}

// valid is getNumberTypeHelper(nsn, md) != UNKNOWN.
func (r *regionRules) valid(nsn string) bool {
	if !r.general.match(nsn) {
		return false
	}
	for i := range r.types {
		if r.types[i].match(nsn) {
			return true
		}
	}
	return false
}

// metadataIndex finds a region's metadata by id, and a non-geographic entity's ("001") by its
// calling code.
type metadataIndex struct {
	byRegion map[string]*phonenumbers.PhoneMetadata
	nonGeo   map[int32]*phonenumbers.PhoneMetadata
}

var metadata = sync.OnceValue(func() metadataIndex {
	idx := metadataIndex{byRegion: map[string]*phonenumbers.PhoneMetadata{}, nonGeo: map[int32]*phonenumbers.PhoneMetadata{}}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return idx
	}
	for _, md := range coll.GetMetadata() {
		if md.GetId() == nonGeoRegion {
			idx.nonGeo[md.GetCountryCode()] = md
		} else {
			idx.byRegion[md.GetId()] = md
		}
	}
	return idx
})

const nonGeoRegion = "001"

// compiled holds the rules of the regions seen so far: compiling every region's at start would
// cost a second for regions most deployments never see.
var compiled sync.Map // key: region id, or "001/<cc>" -> *regionRules

func rulesFor(cc int32, region string) *regionRules {
	key := region
	if region == nonGeoRegion {
		key = nonGeoRegion + "/" + strconv.Itoa(int(cc))
	}
	if r, ok := compiled.Load(key); ok {
		return r.(*regionRules)
	}
	idx := metadata()
	md := idx.byRegion[region]
	if region == nonGeoRegion {
		md = idx.nonGeo[cc]
	}
	if md == nil || (region != nonGeoRegion && md.GetCountryCode() != cc) {
		return nil // as IsValidNumberForRegion: no metadata, or not this calling code's region
	}
	r, _ := compiled.LoadOrStore(key, newRegionRules(md))
	return r.(*regionRules)
}

// validRegion is the library's region for num (GetRegionCodeForNumber) and whether num is valid
// for it (IsValidNumberForRegion), with the number's patterns matched once each.
func validRegion(num *phonenumbers.PhoneNumber) (string, bool) {
	cc := num.GetCountryCode()
	regions := phonenumbers.GetRegionCodesForCountryCode(int(cc))
	if len(regions) == 0 {
		return "", false
	}
	nsn := nationalSignificant(num)
	if len(regions) == 1 {
		r := rulesFor(cc, regions[0])
		return regions[0], r != nil && r.valid(nsn)
	}
	// As getRegionCodeForNumberFromRegionList: the first region whose leading digits match, or
	// that has none and for which the number is valid.
	for _, region := range regions {
		r := rulesFor(cc, region)
		if r == nil {
			continue
		}
		if r.leading != nil {
			if r.leading.MatchString(nsn) {
				return region, r.valid(nsn)
			}
		} else if r.valid(nsn) {
			return region, true
		}
	}
	return "", false
}

// nationalSignificant is the library's GetNationalSignificantNumber: the national number with
// the leading zeros it keeps (Italy and others).
func nationalSignificant(num *phonenumbers.PhoneNumber) string {
	digits := strconv.FormatUint(num.GetNationalNumber(), 10)
	if !num.GetItalianLeadingZero() || num.GetNumberOfLeadingZeros() <= 0 {
		return digits
	}
	return strings.Repeat("0", min(int(num.GetNumberOfLeadingZeros()), phonenumbers.MAX_LENGTH_FOR_NSN)) + digits
}
