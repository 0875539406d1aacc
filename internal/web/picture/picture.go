// Package picture draws the demo shop's product pictures as small,
// self-contained SVG documents. Nothing is fetched or stored: every picture
// is computed from the product's category, name and colour, so the same
// inputs always give the same bytes.
package picture

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// colours maps the shop's variant colour names (lower case) to hex values.
var colours = map[string]string{
	// The demo catalog's colours beyond the basics (issue 13: they had no
	// swatch).
	"forest":   "#2f5d3a",
	"stone":    "#a8a196",
	"charcoal": "#3c3f44",
	"ink":      "#1f2a44",
	"natural":  "#e8dcc4",
	"ochre":    "#c8902e",
	"sage":     "#9caf88",
	"black":    "#2b2b2e",
	"white":    "#f4f2ec",
	"navy":     "#22325a",
	"olive":    "#6b7340",
	"rust":     "#b4552e",
	"sand":     "#d9c49b",
	"red":      "#c7353c",
	"grey":     "#8f9298",
	"gray":     "#8f9298",
	"blue":     "#3d74c5",
	"yellow":   "#eec23e",
	"green":    "#3f8a5a",
	"pink":     "#ec9ab2",
	"brown":    "#7a5234",
}

// pleasant is the palette used when a product has no (known) colour.
var pleasant = []string{
	"#3d74c5", "#3f8a5a", "#b4552e", "#6b7340", "#22325a", "#c7353c",
	"#2f8f8a", "#d9923b", "#7b5ea7", "#ec9ab2", "#5b8fb0", "#a5663f",
}

// Hex returns the hex colour ("#rrggbb") for a known colour name such as
// "Navy" or "olive". The name is matched case-insensitively; ok is false for
// an unknown or empty name.
func Hex(colour string) (string, bool) {
	h, ok := colours[strings.ToLower(strings.TrimSpace(colour))]
	return h, ok
}

// aliases maps other spellings of a category slug to the drawing used.
var aliases = map[string]string{
	"t-shirt": "t-shirts", "tshirts": "t-shirts", "tshirt": "t-shirts", "tees": "t-shirts", "tee": "t-shirts",
	"shirt": "shirts", "jacket": "jackets", "coats": "jackets", "coat": "jackets",
	"dress": "dresses", "sneaker": "sneakers", "trainers": "sneakers", "shoes": "sneakers",
	"jumpers": "knitwear", "jumper": "knitwear", "sweaters": "knitwear", "sweater": "knitwear", "cardigans": "knitwear", "knits": "knitwear",
	"boot": "boots", "camp": "camping", "tents": "camping", "hike": "hiking", "backpacks": "hiking",
}

// SVG draws the picture of a product as an SVG document. Deterministic: the
// same inputs give the same bytes.
//
// kind is the product's category slug (e.g. "t-shirts", "shirts", "jackets",
// "dresses", "sneakers", "boots", "kitchen", "decor", "bedding", "camping",
// "hiking"; anything else gets a generic drawing); name is the product name;
// colour is an optional colour name of the product's first variant ("Black",
// "White", "Navy", "Olive", "Rust", "Sand", "Red", "Grey", "Blue", "Yellow",
// "Green", "Pink", "Brown" or "" — unknown or empty picks a pleasant colour
// from a hash of name).
func SVG(kind, name, colour string) []byte {
	kind = strings.ToLower(strings.TrimSpace(kind))
	if a, ok := aliases[kind]; ok {
		kind = a
	}
	nh := hash(name)
	base, ok := Hex(colour)
	if !ok {
		base = pleasant[nh%uint32(len(pleasant))] //nolint:gosec // a short constant table
	}
	// Ids are derived from all inputs so that several pictures inlined in
	// one HTML page do not share gradient ids by accident.
	id := fmt.Sprintf("%08x", hash(kind+"\x00"+name+"\x00"+base))

	r, g, b := parseHex(base)
	dark := luminance(r, g, b) < 0.3
	shade := mix(r, g, b, 0, 0.32)
	detail := mix(r, g, b, 0, 0.38)
	if dark {
		detail = mix(r, g, b, 255, 0.42)
	}
	if luminance(r, g, b) > 0.8 {
		detail = mix(r, g, b, 0, 0.28)
	}
	light := mix(r, g, b, 255, 0.16)
	deep := mix(r, g, b, 0, 0.12)

	// Soft background: a diagonal gradient between two pale tints whose hue
	// comes from the name's hash.
	hue := float64(nh>>8%360) / 360
	bg1 := hsl(hue, 0.42, 0.95)
	bg2 := hsl(math.Mod(hue+0.08, 1), 0.36, 0.86)

	var buf bytes.Buffer
	buf.Grow(2600)
	buf.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" width="600" height="600" role="img"><title>`)
	_ = xml.EscapeText(&buf, []byte(name))
	buf.WriteString(`</title>`)
	fmt.Fprintf(&buf, `<defs><linearGradient id="b%[1]s" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="%[2]s"/><stop offset="1" stop-color="%[3]s"/></linearGradient>`+
		`<linearGradient id="f%[1]s" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="%[4]s"/><stop offset=".5" stop-color="%[5]s"/><stop offset="1" stop-color="%[6]s"/></linearGradient></defs>`,
		id, bg1, bg2, light, base, deep)
	fmt.Fprintf(&buf, `<rect width="600" height="600" fill="url(#b%s)"/>`, id)

	shape := drawing(kind, strings.ToLower(name), nh)
	fmt.Fprintf(&buf, `<ellipse cx="300" cy="%d" rx="%d" ry="18" fill="#000" fill-opacity=".1"/>`, shape.ground, shape.width)
	buf.WriteString(`<g`)
	if shape.dx != 0 {
		fmt.Fprintf(&buf, ` transform="translate(%d 0)"`, shape.dx)
	}
	fmt.Fprintf(&buf, ` stroke="%s" stroke-width="6" stroke-linejoin="round" stroke-linecap="round">`, shade)
	strings.NewReplacer(
		"{F}", "url(#f"+id+")",
		"{C}", base,
		"{S}", shade,
		"{D}", detail,
	).WriteString(&buf, shape.body) //nolint:errcheck // bytes.Buffer writes do not fail
	buf.WriteString(`</g></svg>`)
	return buf.Bytes()
}

// A shape is one silhouette. In body, {F} is the shaded fill, {C} the flat
// variant colour, {S} the darker outline colour and {D} a detail colour that
// contrasts with the fill. Elements inherit the outline stroke.
type shape struct {
	body   string
	ground int // y of the shadow ellipse
	width  int // x radius of the shadow ellipse
	dx     int // horizontal shift that centres the body
}

func drawing(kind, lname string, h uint32) shape {
	pick := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(lname, w) {
				return true
			}
		}
		return false
	}
	alt := h>>4&1 == 1
	switch kind {
	case "t-shirts":
		return tshirt
	case "knitwear":
		return knit
	case "shirts":
		return shirt
	case "jackets":
		return jacket
	case "dresses":
		return dress
	case "sneakers":
		return sneaker
	case "boots":
		return boot
	case "kitchen":
		if pick("pan", "skillet", "wok") || (!pick("mug", "cup") && alt) {
			return pan
		}
		return mug
	case "decor":
		if pick("lamp", "light") || (!pick("vase") && alt) {
			return lamp
		}
		return vase
	case "bedding":
		if pick("pillow", "cushion") || (!pick("duvet", "quilt", "sheet", "blanket") && alt) {
			return pillow
		}
		return duvet
	case "camping":
		return tent
	case "hiking":
		return backpack
	}
	return tag
}

var (
	tshirt = shape{ground: 500, width: 150, body: `<path fill="{F}" d="M250 115Q300 165 350 115L432 142L502 218L450 266L420 240V482H180V240L150 266L98 218L168 142Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="10" d="M252 120Q300 162 348 120"/>` +
		`<path fill="none" stroke="{D}" stroke-width="4" d="M180 462H420M128 245L152 222M472 245L448 222"/>`}

	// knit is a crew-neck jumper: long sleeves with ribbed cuffs, a ribbed
	// hem and neck, a cable down the front and knitted columns either side.
	knit = shape{ground: 505, width: 160, body: `<path fill="{F}" d="M250 115Q300 160 350 115L425 140Q465 152 475 200L500 420L452 432L422 250V470H178V250L148 432L100 420L125 200Q135 152 175 140Z"/>` +
		`<path fill="{C}" d="M100 420L148 432L143 466L94 454ZM500 420L452 432L457 466L506 454Z"/><rect x="178" y="456" width="244" height="38" rx="6" fill="{C}"/>` +
		`<path fill="none" stroke="{D}" stroke-width="3" d="M192 462V490M206 462V490M220 462V490M234 462V490M248 462V490M262 462V490M276 462V490M290 462V490M304 462V490M318 462V490M332 462V490M346 462V490M360 462V490M374 462V490M388 462V490M402 462V490M416 462V490M108 428L103 456M124 432L119 460M140 436L135 464M492 428L497 456M476 432L481 460M460 436L465 464"/>` +
		`<path fill="none" stroke="{D}" stroke-width="12" d="M252 121Q300 160 348 121"/>` +
		`<path fill="none" stroke="{D}" stroke-width="7" d="M288 178Q318 203 288 228Q258 253 288 278Q318 303 288 328Q258 353 288 378Q318 403 288 428M312 178Q282 203 312 228Q342 253 312 278Q282 303 312 328Q342 353 312 378Q282 403 312 428"/>` +
		`<path fill="none" stroke="{D}" stroke-width="4" stroke-dasharray="8 10" d="M236 170V446M256 176V446M344 176V446M364 170V446M200 240V446M400 240V446"/>`}

	shirt = shape{ground: 505, width: 160, body: `<path fill="{F}" d="M255 112H345L430 136Q470 150 480 200L502 420L450 432L420 250V490H180V250L150 432L98 420L120 200Q130 150 170 136Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="4" d="M300 160V490M104 396L152 408M496 396L448 408M330 222H380V272Q355 282 330 272Z"/>` +
		`<path fill="{C}" d="M255 112L300 162L268 192L238 130ZM345 112L300 162L332 192L362 130Z"/>` +
		`<g fill="{D}" stroke="none"><circle cx="300" cy="210" r="6"/><circle cx="300" cy="265" r="6"/><circle cx="300" cy="320" r="6"/><circle cx="300" cy="375" r="6"/><circle cx="300" cy="430" r="6"/></g>`}

	jacket = shape{ground: 510, width: 165, body: `<path fill="{F}" d="M232 150Q232 62 300 62Q368 62 368 150Z"/><path fill="{S}" d="M258 150Q258 96 300 96Q342 96 342 150Z"/>` +
		`<path fill="{F}" d="M250 125Q300 170 350 125L435 150Q475 165 485 215L505 440L450 452L425 270V495H175V270L150 452L95 440L115 215Q125 165 165 150Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="5" d="M300 152V495M205 385L232 330M395 385L368 330M175 470H425M100 418L152 428M500 418L448 428"/>` +
		`<rect x="293" y="160" width="14" height="26" rx="4" fill="{D}" stroke="none"/>`}

	dress = shape{ground: 505, width: 150, body: `<path fill="{F}" d="M245 100H268Q300 140 332 100H355L366 170Q352 215 346 240L446 488Q300 525 154 488L254 240Q248 215 234 170Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="12" d="M256 240H344"/>` +
		`<path fill="none" stroke="{S}" stroke-width="4" stroke-opacity=".5" d="M300 262V500M272 262L230 494M328 262L370 494"/>`}

	sneaker = shape{ground: 438, width: 215, body: `<path fill="{F}" d="M110 388L120 262Q124 236 150 236L210 230Q252 292 322 300Q440 318 490 350Q508 366 502 388Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="12" d="M180 345Q290 345 388 305"/>` +
		`<path fill="none" stroke="{D}" stroke-width="5" d="M240 292L252 276M266 304L276 288M294 312L302 297M322 318L330 303M120 282H160"/>` +
		`<rect x="100" y="384" width="412" height="40" rx="18" fill="#f3f1ec"/>` +
		`<path fill="none" stroke="#cfcac0" stroke-width="4" d="M118 406H494"/>`}

	boot = shape{ground: 492, width: 190, dx: -36, body: `<path fill="{F}" d="M175 118H305L315 318Q328 354 400 364L470 378Q505 390 505 430V444H170L166 300Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="8" d="M178 142H303"/>` +
		`<path fill="none" stroke="{D}" stroke-width="4" d="M172 424H502M270 170L300 186M270 210L302 226M272 250L304 266M276 290L306 306"/>` +
		`<rect x="160" y="440" width="352" height="26" rx="8" fill="#3b302a" stroke="#3b302a"/>` +
		`<rect x="166" y="460" width="86" height="26" rx="4" fill="#3b302a" stroke="#3b302a"/>`}

	mug = shape{ground: 458, width: 160, dx: -36, body: `<path fill="none" stroke="{S}" stroke-width="40" d="M388 260Q462 260 462 325Q462 390 388 390"/>` +
		`<path fill="none" stroke="{C}" stroke-width="26" d="M388 260Q462 260 462 325Q462 390 388 390"/>` +
		`<path fill="{F}" d="M190 200V408Q190 450 232 450H348Q390 450 390 408V200Z"/>` +
		`<ellipse cx="290" cy="200" rx="100" ry="22" fill="{C}"/>` +
		`<ellipse cx="290" cy="202" rx="84" ry="14" fill="#5a3d2b" stroke="none"/>` +
		`<path fill="none" stroke="#fff" stroke-opacity=".7" stroke-width="8" d="M262 160Q248 140 262 120Q276 100 262 80M318 160Q304 140 318 120Q332 100 318 80"/>`}

	pan = shape{ground: 478, width: 200, dx: -38, body: `<path fill="#3a3532" stroke="#3a3532" d="M398 292L548 262Q566 260 569 276Q572 292 556 298L408 340Z"/>` +
		`<circle cx="555" cy="280" r="7" fill="#fff" stroke="none"/>` +
		`<circle cx="260" cy="320" r="152" fill="{F}"/>` +
		`<circle cx="260" cy="320" r="124" fill="{S}" stroke="none"/>` +
		`<path fill="none" stroke="#fff" stroke-opacity=".25" stroke-width="10" d="M170 290Q190 230 250 214"/>`}

	vase = shape{ground: 478, width: 130, body: `<path fill="none" stroke="#4f7d4a" stroke-width="6" d="M300 140Q290 90 240 60M300 140Q310 80 350 50M300 140V70"/>` +
		`<g fill="#6a9c5f" stroke="none"><ellipse cx="240" cy="60" rx="18" ry="10"/><ellipse cx="350" cy="50" rx="18" ry="10"/><ellipse cx="300" cy="66" rx="10" ry="18"/></g>` +
		`<path fill="{F}" d="M262 130H338V160Q338 180 360 200Q432 262 420 360Q410 450 350 470H250Q190 450 180 360Q168 262 240 200Q262 180 262 160Z"/>` +
		`<ellipse cx="300" cy="130" rx="40" ry="10" fill="{S}"/>` +
		`<path fill="none" stroke="{D}" stroke-width="10" d="M196 300Q300 330 404 300"/>`}

	lamp = shape{ground: 470, width: 120, body: `<rect x="292" y="270" width="16" height="180" fill="#b08d57" stroke="#8a6d42"/>` +
		`<ellipse cx="300" cy="455" rx="92" ry="22" fill="{S}"/>` +
		`<ellipse cx="300" cy="280" rx="130" ry="20" fill="#fff6d6" stroke="none" fill-opacity=".8"/>` +
		`<path fill="{F}" d="M222 118H378L440 278H160Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="5" d="M214 140H386M174 254H426"/>`}

	pillow = shape{ground: 440, width: 185, body: `<path fill="{F}" d="M138 190Q300 162 462 190Q492 300 462 410Q300 438 138 410Q108 300 138 190Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="4" stroke-dasharray="10 10" d="M160 212Q300 188 440 212Q464 300 440 388Q300 412 160 388Q136 300 160 212Z"/>` +
		`<path fill="none" stroke="{S}" stroke-width="4" stroke-opacity=".5" d="M138 190L200 240M462 190L400 240M138 410L200 360M462 410L400 360"/>` +
		`<circle cx="300" cy="300" r="10" fill="{D}" stroke="none"/>`}

	duvet = shape{ground: 482, width: 200, body: `<rect x="150" y="130" width="140" height="80" rx="26" fill="#faf8f3" stroke="#d4cfc4"/>` +
		`<rect x="310" y="130" width="140" height="80" rx="26" fill="#faf8f3" stroke="#d4cfc4"/>` +
		`<rect x="112" y="190" width="376" height="272" rx="22" fill="{F}"/>` +
		`<path fill="{C}" d="M112 212Q112 190 134 190H466Q488 190 488 212V258H112Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="4" stroke-dasharray="12 10" d="M130 320H470M130 390H470M300 270V450"/>`}

	tent = shape{ground: 462, width: 225, body: `<path fill="{F}" d="M300 130L500 452H100Z"/>` +
		`<path fill="{S}" d="M300 240L372 452H228Z"/>` +
		`<path fill="{D}" stroke="none" d="M300 240L372 452H330Z"/>` +
		`<path fill="none" stroke="{D}" stroke-width="6" d="M300 130V100M300 130L200 452M300 130L400 452"/>`}

	backpack = shape{ground: 496, width: 150, body: `<path fill="none" stroke="{S}" stroke-width="12" d="M270 132Q270 90 300 90Q330 90 330 132"/>` +
		`<rect x="176" y="300" width="40" height="150" rx="14" fill="{C}"/>` +
		`<rect x="384" y="300" width="40" height="150" rx="14" fill="{C}"/>` +
		`<path fill="{F}" d="M200 180Q200 130 250 130H350Q400 130 400 180V470Q400 490 380 490H220Q200 490 200 470Z"/>` +
		`<path fill="{D}" d="M200 200Q300 250 400 200V178Q400 140 360 140H240Q200 140 200 178Z"/>` +
		`<rect x="238" y="340" width="124" height="112" rx="18" fill="{C}"/>` +
		`<g fill="#2f2f2f" stroke="none"><rect x="240" y="210" width="16" height="26" rx="3"/><rect x="344" y="210" width="16" height="26" rx="3"/></g>` +
		`<path fill="none" stroke="{D}" stroke-width="5" d="M248 362H352"/>`}

	tag = shape{ground: 450, width: 160, dx: -10, body: `<path fill="none" stroke="{S}" stroke-width="5" d="M400 300Q480 230 440 140"/>` +
		`<path fill="{F}" d="M160 210Q160 190 180 190H350L460 300L350 410H180Q160 410 160 390Z"/>` +
		`<circle cx="400" cy="300" r="16" fill="#fff"/>` +
		`<path fill="none" stroke="{D}" stroke-width="12" d="M200 250H310M200 300H340M200 350H280"/>`}
)

func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func parseHex(s string) (r, g, b float64) {
	var ri, gi, bi int
	_, _ = fmt.Sscanf(s, "#%02x%02x%02x", &ri, &gi, &bi) // s comes from Hex or the palette: always #rrggbb
	return float64(ri), float64(gi), float64(bi)
}

func luminance(r, g, b float64) float64 {
	return (0.2126*r + 0.7152*g + 0.0722*b) / 255
}

// mix blends the colour toward the grey level to (0 black, 255 white) by t.
func mix(r, g, b, to, t float64) string {
	f := func(c float64) int { return int(math.Round(c + (to-c)*t)) }
	return fmt.Sprintf("#%02x%02x%02x", f(r), f(g), f(b))
}

// hsl converts hue, saturation and lightness in [0,1] to "#rrggbb".
func hsl(h, s, l float64) string {
	c := (1 - math.Abs(2*l-1)) * s
	hp := h * 6
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	f := func(v float64) int { return int(math.Round((v + m) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", f(r), f(g), f(b))
}
