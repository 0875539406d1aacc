package demo

// The demo shop's word lists. Product names are material × noun within a
// group, so every name makes sense ("Merino crew-neck jumper", never
// "Stoneware chef's knife"); descriptions are built from the material's
// text and care sentence and the group's (or leaf's) use phrases.

// optKind is the shape of a product's options.
type optKind int

const (
	optSizeColour optKind = iota // clothing and shoes: the leaf's size sets × colours
	optNone                      // one variant, no options
	optColour                    // colour only
	optSize                      // the group's sizes, dearer as they grow
)

// mat is a material or finish: the word in the name, the phrase in the
// description ("in …", "made from …") and how to look after it.
type mat struct {
	name, text, care string
}

// A group's nouns and materials are listed cheapest first: a product's
// price follows their positions within the group's price range.
type group struct {
	nouns []string
	mats  []mat
	opts  []optKind // one is chosen per product; nil means optSizeColour
	sizes []string  // values of the size option for optSize
	step  int64     // price added per size step for optSize, in cents
	lo    int       // price range in whole rand
	hi    int
	uses  []string // use sentences; nil means the leaf's
	fors  []string // "made for …" phrases; nil means the leaf's
}

type leaf struct {
	slug, name, desc, code string
	n                      int // products to make
	styles                 []string
	fors                   []string
	uses                   []string
	colours                []string
	maxColours             int
	sizes                  [][]string // size sets for optSizeColour
	groups                 []group
}

type root struct {
	slug, name, desc, code string
	leaves                 []leaf
}

var (
	clothingSizes = [][]string{
		{"XS", "S", "M", "L", "XL"},
		{"S", "M", "L", "XL"},
		{"XS", "S", "M", "L"},
		{"S", "M", "L"},
	}
	shoeSizes = [][]string{
		{"UK 6", "UK 7", "UK 8", "UK 9", "UK 10", "UK 11"},
		{"UK 6", "UK 7", "UK 8", "UK 9", "UK 10"},
		{"UK 7", "UK 8", "UK 9", "UK 10", "UK 11"},
	}
	clothingColours = []string{"Black", "White", "Navy", "Olive", "Rust", "Sand", "Red", "Grey", "Stone", "Forest"}
	shoeColours     = []string{"Black", "White", "Tan", "Brown", "Navy", "Grey", "Olive", "Sand"}
	bootColours     = []string{"Black", "Brown", "Tan", "Olive", "Grey"}
	homeColours     = []string{"White", "Charcoal", "Oat", "Sage", "Terracotta", "Natural", "Ink", "Ochre"}
	outdoorColours  = []string{"Black", "Olive", "Rust", "Navy", "Sand", "Orange", "Forest", "Grey"}
)

// codes shortens option values for SKUs. Values not listed are upper-cased
// with spaces removed ("UK 8" → "UK8", "24 cm" → "24CM").
var codes = map[string]string{
	"Black": "BLK", "White": "WHT", "Navy": "NVY", "Olive": "OLV", "Rust": "RST", "Sand": "SND",
	"Red": "RED", "Grey": "GRY", "Stone": "STN", "Forest": "FST", "Tan": "TAN", "Brown": "BRN",
	"Charcoal": "CHR", "Oat": "OAT", "Sage": "SGE", "Terracotta": "TRC", "Natural": "NAT",
	"Ink": "INK", "Ochre": "OCH", "Orange": "ORG",
	"Small": "SM", "Medium": "MD", "Large": "LG", "Single": "SGL", "Double": "DBL",
	"Queen": "QN", "King": "KG", "Regular": "REG", "Long": "LNG", "Standard": "STD",
}

// Care sentences shared by several materials.
const (
	careCotton    = "Machine wash cold with similar colours and line dry to keep its shape."
	careCotton2   = "Wash at 30 °C inside out and skip the tumble dryer; it gets softer with every wash."
	careLinen     = "Machine wash at 40 °C and hang to dry; linen looks best a little creased."
	careMerino    = "Merino needs little washing: air it between wears and use a wool cycle at 30 °C when it does."
	careWool      = "Hand wash cool or use the wool cycle, then dry flat in the shade."
	careMohair    = "Hand wash in cool water with a wool detergent and dry flat; never tumble dry."
	careWax       = "Wipe clean with a damp cloth and re-wax once a season; do not machine wash or dry clean."
	careShell     = "Machine wash at 30 °C with the zips closed and tumble dry on low to refresh the water repellency."
	careCanvas    = "Brush off dry mud and spot clean; machine wash cold only when it really needs it."
	careDown      = "Wash rarely with a down-specific soap and tumble dry low with a few clean tennis balls to restore the loft."
	careDrape     = "Gentle machine wash at 30 °C, hang to dry and iron on a low setting while slightly damp."
	careSynth     = "Machine wash cold on a gentle cycle and tumble dry low."
	careShoeCanv  = "Spot clean with mild soap and a soft brush; keep it out of the washing machine."
	careLeather   = "Wipe clean with a damp cloth and feed the leather with a balm every few months."
	careSuede     = "Brush when dry and treat with a suede protector spray before the first wear."
	careKnitShoe  = "Hand wash in cool water and stuff with paper to dry away from direct heat."
	careBoot      = "Knock off mud after every outing, let them dry slowly away from heaters and re-proof regularly."
	careRubber    = "Rinse with fresh water after the beach or the river and let dry in the shade."
	careStoneware = "Dishwasher and microwave safe; avoid sudden changes of temperature."
	carePorcelain = "Dishwasher safe, though hand washing keeps the glaze bright for longer."
	careClay      = "Hand wash only; terracotta is porous, so let it dry fully before putting it away."
	careWood      = "Hand wash only and rub with food-safe board oil whenever it starts to look dry."
	careCarbon    = "Hand wash, dry straight away and wipe with a little oil to keep rust away."
	careKnife     = "Dishwasher safe, but hand washing and a wooden board keep the edge sharp for longer."
	careSteelPan  = "Dishwasher safe; a paste of bicarbonate of soda and water lifts stubborn marks."
	careCastIron  = "Wash with hot water and a stiff brush, dry it on the stove and rub in a thin layer of oil."
	careEnamel    = "Hand wash with warm soapy water and avoid metal scourers on the enamel."
	careGlass     = "Hand wash in warm soapy water and dry with a lint-free cloth."
	careCandle    = "Trim the wick to 5 mm before each burn and never leave a burning candle unattended."
	careDust      = "Dust with a soft dry cloth and keep it out of strong direct sun."
	carePercale   = "Wash at 40 °C and tumble dry low, or line dry for that crisp hotel feel."
	careSateen    = "Wash at 40 °C inside out and tumble dry low; a warm iron brings back the sheen."
	careTent      = "Always dry it fully before packing away, and rinse off sand and salt with fresh water."
	careCookware  = "Wash with hot soapy water; it will not rust and is happy over an open flame."
	careLight     = "Wipe clean with a damp cloth and keep the charging port cover closed in the rain."
	carePack      = "Empty it, brush it out and sponge clean with mild soap; never machine wash."
	carePole      = "Pull the sections apart after wet hikes and let them dry before storing."
)

var shop = []root{
	{slug: "clothing", name: "Clothing", code: "CLO",
		desc: "Everyday clothing cut from natural fibres and made to be worn for years.",
		leaves: []leaf{
			{slug: "t-shirts", name: "T-shirts", code: "TSH", n: 18,
				desc:    "Crew necks, pocket tees and long sleeves in cotton, hemp and merino.",
				styles:  []string{"relaxed", "classic", "slim-fit", "boxy", "lightweight", "soft"},
				fors:    []string{"everyday wear", "hot summer days", "easy layering", "weekends away"},
				colours: clothingColours, maxColours: 4, sizes: clothingSizes,
				uses: []string{
					"Wear it on its own on warm days or layer it under a shirt when the wind picks up.",
					"An easy staple that works as well at the office as it does at a weekend braai.",
					"It fits true to size: take your usual, or size up for a looser drape.",
					"Cut a little longer at the back so it stays tucked in when you move.",
				},
				groups: []group{{lo: 199, hi: 549,
					nouns: []string{"crew-neck tee", "V-neck tee", "pocket tee", "boxy tee", "long-sleeve tee", "henley"},
					mats: []mat{
						{"Recycled cotton", "recycled cotton spun with a little organic cotton for strength", careCotton},
						{"Slub cotton", "textured slub cotton jersey", careCotton2},
						{"Organic cotton", "organic cotton jersey", careCotton},
						{"Heavyweight cotton", "220 g heavyweight cotton", careCotton},
						{"Hemp", "a hemp and organic cotton blend", careCotton2},
						{"Linen", "lightweight washed linen jersey", careLinen},
						{"Merino", "fine 150 g merino wool jersey", careMerino},
					}}},
			},
			{slug: "shirts", name: "Shirts", code: "SHI", n: 16,
				desc:    "Button-downs, overshirts and camp collars for work and weekends.",
				styles:  []string{"classic", "relaxed", "tailored", "easy", "roomy"},
				fors:    []string{"the office and beyond", "warm evenings out", "long summer lunches", "cool mornings"},
				colours: clothingColours, maxColours: 3, sizes: clothingSizes,
				uses: []string{
					"Wear it buttoned up with chinos or open over a tee.",
					"Smart enough for the office and relaxed enough for a long lunch.",
					"A chest pocket and horn-effect buttons finish it off.",
					"Cut with a curved hem that looks right tucked in or worn loose.",
				},
				groups: []group{{lo: 449, hi: 899,
					nouns: []string{"work shirt", "camp-collar shirt", "grandad-collar shirt", "button-down shirt", "overshirt"},
					mats: []mat{
						{"Chambray", "light cotton chambray", careCotton2},
						{"Oxford cotton", "soft Oxford cotton", careCotton},
						{"Organic poplin", "crisp organic cotton poplin", careCotton},
						{"Flannel", "brushed cotton flannel", careCotton2},
						{"Seersucker", "puckered cotton seersucker that needs no ironing", careCotton},
						{"Needlecord", "fine cotton needlecord", careCotton},
						{"Linen", "washed European linen", careLinen},
					}}},
			},
			{slug: "knitwear", name: "Knitwear", code: "KNI", n: 14,
				desc:    "Jumpers and cardigans in merino, lambswool, mohair and cotton for cool mornings.",
				styles:  []string{"chunky", "fine-knit", "classic", "relaxed", "ribbed"},
				fors:    []string{"chilly Highveld mornings", "winter weekends", "cool evenings", "layering under a coat"},
				colours: clothingColours, maxColours: 3, sizes: clothingSizes,
				uses: []string{
					"Warm without bulk, so it layers easily under a coat or over a shirt.",
					"Ribbed cuffs and hem hold their shape wear after wear.",
					"A winter staple you will reach for from May to September.",
					"Knitted in a family-run mill in the Eastern Cape.",
				},
				groups: []group{{lo: 699, hi: 1599,
					nouns: []string{"knitted vest", "crew-neck jumper", "roll-neck jumper", "quarter-zip jumper", "cardigan", "cable-knit jumper"},
					mats: []mat{
						{"Organic cotton", "a chunky organic cotton knit", careCotton},
						{"Lambswool", "soft lambswool", careWool},
						{"Merino", "extra-fine merino wool", careMerino},
						{"Alpaca", "a brushed alpaca and wool blend", careWool},
						{"Mohair", "a Karoo mohair and wool blend", careMohair},
						{"Cashmere blend", "a cashmere and merino blend", careWool},
					}}},
			},
			{slug: "jackets", name: "Jackets", code: "JAC", n: 18,
				desc:    "Rain shells, field jackets and insulated layers to keep the weather out.",
				styles:  []string{"hard-wearing", "lightweight", "classic", "roomy", "trim"},
				fors:    []string{"Cape Town winters", "wet commutes", "weekends outdoors", "unpredictable weather"},
				colours: clothingColours, maxColours: 3, sizes: clothingSizes,
				uses: []string{
					"Roomy enough to wear over a jumper, with deep pockets for a phone and keys.",
					"It packs down small enough to live in a daypack until the weather turns.",
					"An adjustable hood and cuffs keep wind and rain where they belong.",
					"Built for years of commuting, walking the dog and weekends away.",
				},
				groups: []group{
					{lo: 1299, hi: 2999,
						nouns: []string{"anorak", "rain jacket", "shell jacket", "parka"},
						mats: []mat{
							{"Packable", "a lightweight waterproof nylon that packs into its own pocket", careShell},
							{"Recycled ripstop", "recycled nylon ripstop with a waterproof membrane", careShell},
							{"Waterproof", "a three-layer waterproof, breathable shell with taped seams", careShell},
						},
						uses: []string{
							"An adjustable hood and cuffs keep wind and rain where they belong.",
							"It packs down small enough to live in a daypack until the weather turns.",
							"Pit zips let the heat out on the uphill stretches.",
						}},
					{lo: 999, hi: 2499,
						nouns: []string{"trucker jacket", "chore jacket", "work jacket", "field jacket"},
						mats: []mat{
							{"Denim", "rigid 14 oz selvedge denim", careCotton2},
							{"Corduroy", "chunky cotton corduroy", careCotton},
							{"Duck canvas", "heavy cotton duck canvas", careCanvas},
							{"Moleskin", "soft, windproof cotton moleskin", careCotton},
							{"Waxed canvas", "waxed cotton canvas that shrugs off showers", careWax},
						},
						uses: []string{
							"Roomy enough to wear over a jumper, with deep pockets for a phone and keys.",
							"Built for years of commuting, walking the dog and weekends away.",
							"It softens and takes on character the more you wear it.",
						}},
					{lo: 899, hi: 1999,
						nouns: []string{"gilet", "puffer jacket"},
						mats: []mat{
							{"Quilted", "quilted recycled polyester with light synthetic insulation", careSynth},
							{"Insulated", "a windproof shell filled with recycled insulation", careSynth},
							{"Recycled down", "recycled down in a water-resistant shell", careDown},
						},
						uses: []string{
							"Warm enough for a cold start and light enough to stuff in a bag by lunchtime.",
							"Wear it on its own or under a shell when the rain comes.",
						}},
				},
			},
			{slug: "dresses", name: "Dresses", code: "DRE", n: 14,
				desc:    "Easy dresses for warm days, from linen shifts to jersey midis.",
				styles:  []string{"flowing", "easy", "tailored", "relaxed", "light"},
				fors:    []string{"summer weddings", "warm days", "long lunches", "holidays by the sea"},
				colours: clothingColours, maxColours: 3, sizes: clothingSizes,
				uses: []string{
					"Dress it up with sandals and earrings or down with sneakers and a denim jacket.",
					"It has real pockets, deep enough for a phone.",
					"Fully lined where it matters, so it is never see-through.",
					"Light enough to roll into a weekend bag without a crease to show for it.",
				},
				groups: []group{{lo: 599, hi: 1499,
					nouns: []string{"slip dress", "shift dress", "shirt dress", "wrap dress", "midi dress", "tiered maxi dress"},
					mats: []mat{
						{"Jersey", "soft organic cotton jersey", careCotton},
						{"Cotton poplin", "crisp cotton poplin", careCotton},
						{"Viscose crepe", "drapey viscose crepe", careDrape},
						{"Broderie", "cotton broderie anglaise", careCotton2},
						{"Tencel", "fluid Tencel lyocell", careDrape},
						{"Linen", "washed European linen", careLinen},
					}}},
			},
		}},
	{slug: "shoes", name: "Shoes", code: "SHO",
		desc: "Sneakers, boots and sandals for town, trail and everything in between.",
		leaves: []leaf{
			{slug: "sneakers", name: "Sneakers", code: "SNE", n: 14,
				desc:    "Low-tops, runners and canvas classics for every day.",
				styles:  []string{"classic", "lightweight", "minimal", "retro", "cushioned"},
				fors:    []string{"everyday wear", "city walking", "weekends", "long days on your feet"},
				colours: shoeColours, maxColours: 2, sizes: shoeSizes,
				uses: []string{
					"A cushioned footbed and a natural rubber sole make it easy to walk in all day.",
					"Goes with jeans, chinos and summer dresses alike.",
					"Runs true to size; if you are between sizes, go up.",
					"Stitched rather than only glued, so it can be resoled.",
				},
				groups: []group{{lo: 799, hi: 1899,
					nouns: []string{"slip-on sneaker", "low-top sneaker", "court sneaker", "high-top sneaker", "runner"},
					mats: []mat{
						{"Canvas", "organic cotton canvas on a natural rubber sole", careShoeCanv},
						{"Recycled knit", "a breathable knitted upper spun from recycled bottles", careKnitShoe},
						{"Vegan leather", "plant-based leather made from corn waste", careLeather},
						{"Suede", "soft suede", careSuede},
						{"Leather", "full-grain leather", careLeather},
					}}},
			},
			{slug: "boots", name: "Boots", code: "BOO", n: 14,
				desc:    "Chelsea boots, work boots and hiking boots that last for years.",
				styles:  []string{"rugged", "classic", "sturdy", "sleek", "comfortable"},
				fors:    []string{"muddy paths", "winter in town", "years of hard wear", "rainy days"},
				colours: bootColours, maxColours: 2, sizes: shoeSizes,
				uses: []string{
					"A Goodyear-welted sole means it can be resoled again and again.",
					"Expect a short break-in, then years of comfort.",
					"A grippy rubber outsole handles wet pavements and muddy paths.",
					"Made in a small workshop in Durban by craftspeople who have made boots for decades.",
				},
				groups: []group{{lo: 1499, hi: 3499,
					nouns: []string{"desert boot", "Chelsea boot", "lace-up boot", "work boot", "hiking boot"},
					mats: []mat{
						{"Suede", "water-resistant suede", careSuede},
						{"Nubuck", "soft nubuck leather", careSuede},
						{"Oiled leather", "oiled, full-grain leather", careBoot},
						{"Waterproof leather", "waterproof full-grain leather with a sealed membrane", careBoot},
					}}},
			},
			{slug: "sandals", name: "Sandals", code: "SAN", n: 10,
				desc:    "Slides and strap sandals for summer, the beach and the river.",
				styles:  []string{"simple", "comfortable", "minimal", "sturdy"},
				fors:    []string{"summer days", "the beach", "river trips", "holidays"},
				colours: shoeColours, maxColours: 2, sizes: shoeSizes,
				uses: []string{
					"A contoured cork footbed moulds to your foot over the first few wears.",
					"Adjustable straps give a secure fit on uneven ground.",
					"Light enough to pack for any trip.",
				},
				groups: []group{{lo: 399, hi: 1199,
					nouns: []string{"slide sandal", "two-strap sandal", "trail sandal"},
					mats: []mat{
						{"Natural rubber", "natural rubber that will not mind the water", careRubber},
						{"Recycled webbing", "recycled polyester webbing on a recycled rubber sole", careRubber},
						{"Suede", "soft suede on a cork footbed", careSuede},
						{"Leather", "vegetable-tanned leather", careLeather},
					}}},
			},
		}},
	{slug: "home", name: "Home", code: "HOM",
		desc: "Things for the kitchen, the bedroom and the walls, made to be used every day.",
		leaves: []leaf{
			{slug: "kitchen", name: "Kitchen", code: "KIT", n: 28,
				desc:    "Cookware, tableware and tools for people who like to cook.",
				styles:  []string{"sturdy", "simple", "generous", "handmade", "everyday"},
				fors:    []string{"everyday cooking", "slow weekend breakfasts", "dinner parties", "a lifetime of use"},
				colours: homeColours, maxColours: 3,
				uses: []string{
					"Made to be used every day, not kept for best.",
					"Good-looking enough to leave out on the counter.",
					"Every piece is finished by hand, so no two are exactly alike.",
				},
				groups: []group{
					{lo: 149, hi: 899, opts: []optKind{optColour, optColour, optNone},
						nouns: []string{"mug", "serving bowl", "pasta bowl set", "teapot", "pour-over set", "dinner plate set"},
						mats: []mat{
							{"Terracotta", "glazed terracotta thrown in Stellenbosch", careClay},
							{"Speckled stoneware", "speckled stoneware with a reactive glaze", careStoneware},
							{"Stoneware", "hand-glazed stoneware", careStoneware},
							{"Porcelain", "fine white porcelain", carePorcelain},
						},
						uses: []string{
							"Holds its heat well, so your coffee stays warm for longer.",
							"Thrown and glazed by hand in a small studio, so no two pieces are quite alike.",
							"Stacks neatly in the cupboard and looks good on an open shelf.",
						}},
					{lo: 199, hi: 699, opts: []optKind{optSize, optNone}, sizes: []string{"Small", "Large"}, step: 15000,
						nouns: []string{"spoon set", "salad server set", "serving board", "cutting board"},
						mats: []mat{
							{"Acacia", "sustainably grown acacia", careWood},
							{"Beech", "FSC-certified beech", careWood},
							{"Oak", "solid European oak", careWood},
							{"Olive wood", "solid olive wood", careWood},
						},
						fors: []string{"everyday prep", "cheese and charcuterie", "braai nights"},
						uses: []string{
							"Big enough for a whole loaf or the Sunday roast.",
							"Cut from a single piece of wood and kind to knife edges.",
							"Every piece has its own grain, so no two are alike.",
						}},
					{lo: 499, hi: 1899, opts: []optKind{optNone},
						nouns: []string{"paring knife", "bread knife", "santoku knife", "chef's knife"},
						mats: []mat{
							{"Stainless steel", "German stainless steel with a riveted handle", careKnife},
							{"Carbon steel", "hand-forged carbon steel with an oak handle", careCarbon},
							{"Damascus steel", "67-layer Damascus steel", careCarbon},
						},
						uses: []string{
							"Sharpened to a 15° edge and balanced for long prep sessions.",
							"Comes in a recycled cardboard sleeve that doubles as a blade guard.",
						}},
					{lo: 599, hi: 1799, opts: []optKind{optSize, optSize, optNone}, sizes: []string{"24 cm", "28 cm"}, step: 20000,
						nouns: []string{"frying pan", "skillet", "griddle pan"},
						mats: []mat{
							{"Carbon steel", "spun carbon steel", careCarbon},
							{"Stainless", "tri-ply stainless steel", careSteelPan},
							{"Cast iron", "pre-seasoned cast iron", careCastIron},
							{"Enamelled", "enamelled cast iron", careEnamel},
						},
						uses: []string{
							"Works on gas, induction and the coals of a braai.",
							"Goes from the hob straight into the oven.",
							"Heavy enough to sear properly and hold its heat.",
						}},
				},
			},
			{slug: "decor", name: "Decor", code: "DEC", n: 24,
				desc:    "Vases, candles, cushions and mirrors to make a room feel lived in.",
				styles:  []string{"simple", "handmade", "textured", "elegant", "earthy"},
				fors:    []string{"a sunny windowsill", "the dining table", "the bedside", "a bookshelf"},
				colours: homeColours, maxColours: 4,
				uses: []string{
					"Looks good on a windowsill, a bookshelf or the middle of the dining table.",
					"Made in small batches by makers we know by name.",
					"An easy way to bring some warmth into a room.",
				},
				groups: []group{
					{lo: 249, hi: 899, opts: []optKind{optColour, optSize, optNone}, sizes: []string{"Small", "Medium", "Large"}, step: 10000,
						nouns: []string{"bud vase", "candle holder", "vase", "planter"},
						mats: []mat{
							{"Terracotta", "unglazed terracotta", careClay},
							{"Concrete", "sealed cast concrete", careDust},
							{"Stoneware", "hand-thrown stoneware", careStoneware},
							{"Recycled glass", "mouth-blown recycled glass", careGlass},
						}},
					{lo: 129, hi: 449, opts: []optKind{optNone, optSize}, sizes: []string{"Small", "Large"}, step: 10000,
						nouns: []string{"taper candle set", "pillar candle", "scented candle"},
						mats: []mat{
							{"Soy wax", "natural soy wax with a cotton wick", careCandle},
							{"Rapeseed wax", "rapeseed wax scented with fynbos oils", careCandle},
							{"Beeswax", "pure South African beeswax", careCandle},
						},
						uses: []string{
							"A clean, slow burn of up to 40 hours, and handy when load-shedding comes round.",
							"Poured by hand in small batches in Cape Town.",
						}},
					{lo: 299, hi: 1499, opts: []optKind{optColour, optColour, optNone},
						nouns: []string{"table runner", "cushion cover", "throw"},
						mats: []mat{
							{"Organic cotton", "textured organic cotton", careCotton},
							{"Linen", "stonewashed linen", careLinen},
							{"Merino", "woven merino wool", careWool},
							{"Mohair", "soft Karoo mohair", careMohair},
						},
						fors: []string{"everyday living", "cosy evenings at home", "rooms that feel lived in"},
						uses: []string{
							"Softens a sofa, a reading chair or the end of the bed.",
							"Woven on hand looms by a small cooperative in Lesotho.",
						}},
					{lo: 399, hi: 1999, opts: []optKind{optSize, optNone}, sizes: []string{"Small", "Large"}, step: 30000,
						nouns: []string{"picture frame", "wall mirror"},
						mats: []mat{
							{"Oak", "solid oak", careDust},
							{"Reclaimed teak", "reclaimed teak", careDust},
							{"Brass", "brushed brass", careDust},
						},
						uses: []string{
							"Comes ready to hang, with fixings in the box.",
							"Light enough for a single picture hook.",
						}},
				},
			},
			{slug: "bedding", name: "Bedding", code: "BED", n: 20,
				desc:    "Duvet covers, sheets and blankets in linen, percale and wool.",
				styles:  []string{"breathable", "soft", "crisp", "cosy", "generous"},
				fors:    []string{"hot summer nights", "all-year sleeping", "cold winter nights", "lazy Sunday mornings"},
				colours: homeColours, maxColours: 4,
				uses: []string{
					"Breathable enough for summer and cosy in winter.",
					"Gets softer with every wash.",
					"Sewn in a small workroom in Johannesburg.",
				},
				groups: []group{
					{lo: 499, hi: 1299, opts: []optKind{optSize}, sizes: []string{"Single", "Double", "Queen", "King"}, step: 20000,
						nouns: []string{"flat sheet", "fitted sheet", "duvet cover", "bed set"},
						mats: []mat{
							{"Percale", "300-thread-count cotton percale", carePercale},
							{"Organic cotton", "GOTS-certified organic cotton", carePercale},
							{"Sateen", "long-staple cotton sateen", careSateen},
							{"Stonewashed linen", "stonewashed French flax linen", careLinen},
						},
						uses: []string{
							"Sized for South African mattresses, with deep pockets on the fitted sheets.",
							"Breathable enough for summer and cosy in winter.",
							"Gets softer with every wash.",
						}},
					{lo: 599, hi: 2499, opts: []optKind{optColour, optNone},
						nouns: []string{"throw blanket", "blanket", "bedspread"},
						mats: []mat{
							{"Waffle cotton", "honeycomb waffle-weave cotton", careCotton},
							{"Merino", "lofty merino wool", careWool},
							{"Mohair", "brushed Karoo mohair", careMohair},
						}},
					{lo: 249, hi: 599, opts: []optKind{optColour}, nouns: []string{"pillowcase pair"},
						mats: []mat{
							{"Percale", "crisp cotton percale", carePercale},
							{"Linen", "stonewashed French flax linen", careLinen},
							{"Silk", "22-momme mulberry silk", careDrape},
						}},
				},
			},
		}},
	{slug: "outdoors", name: "Outdoors", code: "OUT",
		desc: "Kit for camping trips and long days on the trail, tested in the Drakensberg and the Cederberg.",
		leaves: []leaf{
			{slug: "camping", name: "Camping", code: "CAM", n: 20,
				desc:    "Tents, sleeping bags, cookware and lights for nights under the stars.",
				styles:  []string{"lightweight", "rugged", "compact", "reliable", "simple"},
				fors:    []string{"weekends in the Cederberg", "overlanding trips", "family camping", "nights under the stars"},
				colours: outdoorColours, maxColours: 3,
				uses: []string{
					"Tested on trips from the Cederberg to the Drakensberg.",
					"Packs down small and comes with its own stuff sack.",
					"Built to be used hard and repaired rather than replaced.",
				},
				groups: []group{
					{lo: 1999, hi: 6999, opts: []optKind{optNone, optColour},
						nouns: []string{"tarp shelter", "two-person tent", "dome tent"},
						mats: []mat{
							{"Ripstop", "polyester ripstop with a waterproof flysheet and taped seams", careTent},
							{"Canvas", "breathable, waterproof cotton canvas", careTent},
							{"Ultralight", "silicone-coated ripstop with a waterproof flysheet", careTent},
						},
						uses: []string{
							"Pitches in under five minutes, fly first, so the inside stays dry in a downpour.",
							"Two doors and two porches mean nobody climbs over anybody at night.",
						}},
					{lo: 1499, hi: 4999, opts: []optKind{optSize}, sizes: []string{"Regular", "Long"}, step: 20000,
						nouns: []string{"camp quilt", "sleeping bag"},
						mats: []mat{
							{"Synthetic", "recycled synthetic insulation that stays warm when damp", careSynth},
							{"Merino-lined", "synthetic insulation lined with soft merino", careSynth},
							{"Down", "responsibly sourced duck down in a water-resistant shell", careDown},
						},
						uses: []string{
							"Comfortable down to about −5 °C, with a draught collar for the coldest nights.",
							"Zips together with a second bag for couples.",
						}},
					{lo: 149, hi: 899, opts: []optKind{optColour, optNone},
						nouns: []string{"camp mug", "plate set", "water bottle", "cook pot set"},
						mats: []mat{
							{"Enamel", "enamelled steel", careEnamel},
							{"Stainless steel", "food-grade stainless steel", careCookware},
							{"Titanium", "featherweight titanium", careCookware},
						},
						uses: []string{
							"Nests neatly inside a cook pot to save space in your pack.",
							"Light enough for backpacking and tough enough for the back of the bakkie.",
						}},
					{lo: 299, hi: 999, opts: []optKind{optColour, optNone},
						nouns: []string{"headlamp", "camp lantern"},
						mats: []mat{
							{"Solar", "tough recycled plastic with a built-in solar panel", careLight},
							{"Rechargeable", "anodised aluminium with a USB-C rechargeable battery", careLight},
						},
						uses: []string{
							"Runs for up to 40 hours on low, and doubles as a light during load-shedding.",
							"Red-light mode keeps your night vision and your neighbours happy.",
						}},
				},
			},
			{slug: "hiking", name: "Hiking", code: "HIK", n: 20,
				desc:    "Packs, poles and layers for day hikes and multi-day trails.",
				styles:  []string{"lightweight", "tough", "comfortable", "packable", "breathable"},
				fors:    []string{"day hikes", "multi-day trails", "the Otter Trail", "mountain weather"},
				colours: outdoorColours, maxColours: 3,
				uses: []string{
					"Light enough that you forget it is there until you need it.",
					"Field-tested on the Otter Trail and in the Drakensberg.",
					"Made to be repaired: spare parts are available from us for years.",
				},
				groups: []group{
					{lo: 699, hi: 2499, opts: []optKind{optColour, optSize}, sizes: []string{"20 L", "30 L"}, step: 20000,
						nouns: []string{"hip pack", "daypack", "hiking pack"},
						mats: []mat{
							{"Recycled ripstop", "recycled nylon ripstop", carePack},
							{"Cordura", "abrasion-resistant Cordura nylon", carePack},
							{"Waxed canvas", "waxed cotton canvas with leather trims", carePack},
							{"Ultralight", "Dyneema composite fabric that is fully waterproof", carePack},
						},
						uses: []string{
							"A padded back panel and hip belt carry the weight on your hips, not your shoulders.",
							"Side pockets take a 1 L bottle you can reach without stopping.",
						}},
					{lo: 599, hi: 1499, opts: []optKind{optNone},
						nouns: []string{"trekking poles", "trail running poles"},
						mats: []mat{
							{"Aluminium", "7075 aluminium with foam grips", carePole},
							{"Carbon", "carbon fibre with cork grips", carePole},
						},
						uses: []string{
							"They fold to 38 cm and lock with a single push-button.",
							"Swap the tips for rubber feet on rock and tar.",
						}},
					{lo: 149, hi: 699, opts: []optKind{optSize, optColour}, sizes: []string{"Small", "Medium", "Large"},
						nouns: []string{"neck gaiter", "beanie", "hiking socks", "base layer top"},
						mats: []mat{
							{"Recycled polyester", "quick-drying recycled polyester", careSynth},
							{"Alpaca", "warm alpaca wool blend", careWool},
							{"Merino", "soft, odour-resistant merino wool", careMerino},
						},
						uses: []string{
							"Flat seams mean no rubbing on long days on the trail.",
							"Warm when it is cold, cool when it is not, and slow to smell.",
						}},
					{lo: 299, hi: 1199, opts: []optKind{optColour, optNone},
						nouns: []string{"pack cover", "gaiters", "rain poncho"},
						mats: []mat{
							{"Recycled nylon", "recycled nylon with a waterproof coating", careShell},
							{"Waterproof", "waterproof nylon with taped seams", careShell},
						},
						uses: []string{
							"Packs down small enough to live in the lid of your pack.",
							"Keeps the worst of a Drakensberg thunderstorm off you and your kit.",
						}},
				},
			},
		}},
}
