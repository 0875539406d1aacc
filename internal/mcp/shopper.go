package mcp

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/oceanshop/ocean/internal/cart"
	"github.com/oceanshop/ocean/internal/catalog"
	"github.com/oceanshop/ocean/internal/ocean"
	"github.com/oceanshop/ocean/internal/order"
	"github.com/oceanshop/ocean/internal/pricing"
)

// Annotations, said once. Every tool of the shop acts on the shop's own
// data only (openWorldHint false) except refunds, which reach the payment
// gateway.
func readOnly(title string) *sdk.ToolAnnotations {
	return &sdk.ToolAnnotations{Title: title, ReadOnlyHint: true, OpenWorldHint: ptr(false)}
}

func writes(title string, destructive, idempotent bool) *sdk.ToolAnnotations {
	return &sdk.ToolAnnotations{Title: title, DestructiveHint: ptr(destructive), IdempotentHint: idempotent, OpenWorldHint: ptr(false)}
}

// ---------------------------------------------------------------- catalog

type searchIn struct {
	Query    string `json:"query,omitempty" jsonschema:"words to look for in product names and descriptions"`
	Category string `json:"category,omitempty" jsonschema:"a category slug from list_categories; includes its subcategories"`
	MinPrice *int64 `json:"min_price,omitempty" jsonschema:"lowest price in minor units (cents)"`
	MaxPrice *int64 `json:"max_price,omitempty" jsonschema:"highest price in minor units (cents)"`
	InStock  bool   `json:"in_stock,omitempty" jsonschema:"only products that can be bought now"`
	Sort     string `json:"sort,omitempty" jsonschema:"relevance (default), price_asc, price_desc or newest"`
	Limit    int    `json:"limit,omitempty" jsonschema:"results per page, 1 to 100 (default 24)"`
	Cursor   string `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page, to continue"`
}

type productCard struct {
	Slug     string      `json:"slug" jsonschema:"pass to get_product"`
	Name     string      `json:"name"`
	Summary  string      `json:"summary"`
	Category string      `json:"category"`
	Price    ocean.Money `json:"price" jsonschema:"the cheapest variant's price"`
	PriceMax ocean.Money `json:"price_max"`
	InStock  bool        `json:"in_stock"`
	URL      string      `json:"url" jsonschema:"the product's page in the storefront (a path)"`
}

type searchOut struct {
	Items      []productCard `json:"items"`
	Total      int           `json:"total" jsonschema:"products matching in all pages"`
	NextCursor string        `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page; absent on the last page"`
}

func (o searchOut) Summary() string {
	return fmt.Sprintf("%d products match; %d on this page.", o.Total, len(o.Items))
}

func (s *Server) searchCatalog(ctx context.Context, _ *caller, in searchIn) (searchOut, error) {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", in.Query)
	set("category", in.Category)
	if in.MinPrice != nil {
		v.Set("min_price", strconv.FormatInt(*in.MinPrice, 10))
	}
	if in.MaxPrice != nil {
		v.Set("max_price", strconv.FormatInt(*in.MaxPrice, 10))
	}
	if in.InStock {
		v.Set("in_stock", "true")
	}
	set("sort", in.Sort)
	if in.Limit != 0 {
		v.Set("limit", strconv.Itoa(in.Limit))
	}
	set("cursor", in.Cursor)
	q, err := catalog.ParseQuery(v) // the API's own validation
	if err != nil {
		return searchOut{}, err
	}
	page, err := s.c.Catalog.Search(ctx, q)
	if err != nil {
		return searchOut{}, err
	}
	tree, err := s.c.Catalog.Categories(ctx)
	if err != nil {
		return searchOut{}, err
	}
	out := searchOut{Items: []productCard{}, Total: page.Facets.Total, NextCursor: page.NextCursor}
	for _, c := range page.Items {
		cat := ""
		if cc, ok := tree.ByID(c.CategoryID); ok {
			cat = cc.Slug
		}
		out.Items = append(out.Items, productCard{Slug: c.Slug, Name: c.Name, Summary: c.Summary, Category: cat, Price: c.PriceMin,
			PriceMax: c.PriceMax, InStock: c.InStock, URL: "/p/" + c.Slug})
	}
	return out, nil
}

type productIn struct {
	Slug string `json:"slug" jsonschema:"the product's slug, from search_catalog"`
}

type variantOut struct {
	ID        string            `json:"id" jsonschema:"pass as variant_id to add_to_cart"`
	SKU       string            `json:"sku"`
	Options   map[string]string `json:"options"`
	Price     ocean.Money       `json:"price"`
	Available int               `json:"available" jsonschema:"units that can be bought now"`
}

type productOut struct {
	Slug        string           `json:"slug"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Category    string           `json:"category"`
	Price       ocean.Money      `json:"price"`
	PriceMax    ocean.Money      `json:"price_max"`
	InStock     bool             `json:"in_stock"`
	Options     []catalog.Option `json:"options"`
	Variants    []variantOut     `json:"variants"`
	URL         string           `json:"url"`
}

func (o productOut) Summary() string {
	return fmt.Sprintf("%s: %d variants from %s.", o.Name, len(o.Variants), money(o.Price))
}

func money(m ocean.Money) string {
	return fmt.Sprintf("%d.%02d %s", m.Amount/100, m.Amount%100, m.Currency)
}

func (s *Server) getProduct(ctx context.Context, _ *caller, in productIn) (productOut, error) {
	p, err := s.c.Catalog.Product(ctx, in.Slug)
	if err != nil {
		return productOut{}, err
	}
	tree, err := s.c.Catalog.Categories(ctx)
	if err != nil {
		return productOut{}, err
	}
	lo, hi := p.PriceRange()
	out := productOut{Slug: p.Slug, Name: p.Name, Description: p.Description, Price: lo, PriceMax: hi, InStock: p.InStock(),
		Options: []catalog.Option{}, Variants: []variantOut{}, URL: "/p/" + p.Slug}
	for _, o := range p.Options {
		out.Options = append(out.Options, catalog.Option{Name: o.Name, Values: notNil(o.Values)})
	}
	if c, ok := tree.ByID(p.CategoryID); ok {
		out.Category = c.Slug
	}
	for _, v := range p.Variants {
		opts := v.Options
		if opts == nil {
			opts = map[string]string{}
		}
		out.Variants = append(out.Variants, variantOut{ID: strconv.FormatInt(v.ID, 10), SKU: v.SKU, Options: opts, Price: v.Price, Available: v.Available()})
	}
	return out, nil
}

type noArgs struct{}

type categoryOut struct {
	Slug        string `json:"slug" jsonschema:"pass as category to search_catalog"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Parent      string `json:"parent,omitempty" jsonschema:"the parent category's slug; absent for a top-level category"`
	Depth       int    `json:"depth" jsonschema:"0 for top-level categories"`
}

type categoriesOut struct {
	Items []categoryOut `json:"items" jsonschema:"every category, each after its parent"`
}

func (s *Server) listCategories(ctx context.Context, _ *caller, _ noArgs) (categoriesOut, error) {
	tree, err := s.c.Catalog.Categories(ctx)
	if err != nil {
		return categoriesOut{}, err
	}
	out := categoriesOut{Items: []categoryOut{}}
	var walk func(cs []*catalog.Category, parent string, depth int)
	walk = func(cs []*catalog.Category, parent string, depth int) {
		for _, c := range cs {
			out.Items = append(out.Items, categoryOut{Slug: c.Slug, Name: c.Name, Description: c.Description, Parent: parent, Depth: depth})
			walk(c.Children, c.Slug, depth+1)
		}
	}
	walk(tree.Roots, "", 0)
	return out, nil
}

// ------------------------------------------------------------------- cart

type cartItemOut struct {
	ID          string            `json:"id" jsonschema:"the line's id, for update_cart_item and remove_cart_item"`
	VariantID   string            `json:"variant_id"`
	ProductName string            `json:"product_name"`
	ProductSlug string            `json:"product_slug"`
	SKU         string            `json:"sku"`
	Options     map[string]string `json:"options"`
	Quantity    int               `json:"quantity"`
	UnitPrice   ocean.Money       `json:"unit_price"`
	LineTotal   ocean.Money       `json:"line_total"`
	Available   int               `json:"available"`
	Notice      string            `json:"notice,omitempty" jsonschema:"a note for the shopper, e.g. only 2 left"`
}

type cartOut struct {
	CartID        string         `json:"cart_id" jsonschema:"keep it: every cart tool needs it; it is a secret, like a key to the cart"`
	Status        string         `json:"status"`
	Items         []cartItemOut  `json:"items"`
	Count         int            `json:"count" jsonschema:"units in the cart"`
	Discount      string         `json:"discount,omitempty" jsonschema:"the discount code applied"`
	DiscountIssue string         `json:"discount_issue,omitempty" jsonschema:"why a stored code does not apply now"`
	Totals        pricing.Totals `json:"totals"`
}

func (o cartOut) Summary() string {
	return fmt.Sprintf("Cart with %d units, total %s.", o.Count, money(o.Totals.Total))
}

func toCart(v *cart.View) cartOut {
	out := cartOut{CartID: v.ID, Status: v.Status, Items: []cartItemOut{}, Count: v.Count, Totals: v.Totals, DiscountIssue: v.DiscountIssue}
	for _, l := range v.Lines {
		opts := l.Variant.Options
		if opts == nil {
			opts = map[string]string{}
		}
		out.Items = append(out.Items, cartItemOut{ID: strconv.FormatInt(l.ID, 10), VariantID: strconv.FormatInt(l.VariantID, 10),
			ProductName: l.Variant.ProductName, ProductSlug: l.Variant.ProductSlug, SKU: l.Variant.SKU, Options: opts,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal, Available: l.Available, Notice: l.Notice})
	}
	if v.Discount != nil {
		out.Discount = v.Discount.Code
	}
	return out
}

func cartResult(v *cart.View, err error) (cartOut, error) {
	if err != nil {
		return cartOut{}, err
	}
	return toCart(v), nil
}

func (s *Server) createCart(ctx context.Context, c *caller, _ noArgs) (cartOut, error) {
	return cartResult(s.c.Carts.Create(ctx, c.uid()))
}

type cartIn struct {
	CartID string `json:"cart_id" jsonschema:"the cart_id create_cart returned"`
}

func (s *Server) getCart(ctx context.Context, c *caller, in cartIn) (cartOut, error) {
	return cartResult(s.c.Carts.Get(ctx, in.CartID, c.uid()))
}

type addIn struct {
	CartID    string `json:"cart_id" jsonschema:"the cart_id create_cart returned"`
	VariantID string `json:"variant_id" jsonschema:"a variant id from get_product"`
	Quantity  int    `json:"quantity" jsonschema:"units to add (added to any already in the cart)"`
}

func (s *Server) addToCart(ctx context.Context, c *caller, in addIn) (cartOut, error) {
	vid, err := cart.ParseVariantID(in.VariantID)
	if err != nil {
		return cartOut{}, err
	}
	return cartResult(s.c.Carts.Add(ctx, in.CartID, c.uid(), vid, in.Quantity))
}

type updateIn struct {
	CartID   string `json:"cart_id" jsonschema:"the cart_id create_cart returned"`
	ItemID   string `json:"item_id" jsonschema:"the line's id from the cart's items"`
	Quantity int    `json:"quantity" jsonschema:"the new number of units of that line"`
}

func (s *Server) updateCartItem(ctx context.Context, c *caller, in updateIn) (cartOut, error) {
	item, err := id("item_id", in.ItemID)
	if err != nil {
		return cartOut{}, err
	}
	return cartResult(s.c.Carts.SetQuantity(ctx, in.CartID, c.uid(), item, in.Quantity))
}

type removeIn struct {
	CartID string `json:"cart_id" jsonschema:"the cart_id create_cart returned"`
	ItemID string `json:"item_id" jsonschema:"the line's id from the cart's items"`
}

func (s *Server) removeCartItem(ctx context.Context, c *caller, in removeIn) (cartOut, error) {
	item, err := id("item_id", in.ItemID)
	if err != nil {
		return cartOut{}, err
	}
	return cartResult(s.c.Carts.Remove(ctx, in.CartID, c.uid(), item))
}

type discountIn struct {
	CartID string `json:"cart_id" jsonschema:"the cart_id create_cart returned"`
	Code   string `json:"code" jsonschema:"the discount code the shopper has; an empty code removes the cart's code"`
}

func (s *Server) applyDiscount(ctx context.Context, c *caller, in discountIn) (cartOut, error) {
	if strings.TrimSpace(in.Code) == "" {
		return cartResult(s.c.Carts.RemoveDiscount(ctx, in.CartID, c.uid()))
	}
	return cartResult(s.c.Carts.ApplyDiscount(ctx, in.CartID, c.uid(), in.Code))
}

type shippingIn struct {
	Country string `json:"country,omitempty" jsonschema:"ISO 3166 two-letter country code, e.g. ZA; empty lists every method"`
}

type shippingOut struct {
	Items []pricing.ShippingMethod `json:"items"`
}

func (o shippingOut) Summary() string { return fmt.Sprintf("%d shipping methods.", len(o.Items)) }

func (s *Server) listShippingMethods(ctx context.Context, _ *caller, in shippingIn) (shippingOut, error) {
	ms, err := s.c.Checkout.ShippingMethods(ctx, in.Country)
	if err != nil {
		return shippingOut{}, err
	}
	return shippingOut{Items: notNil(ms)}, nil
}

type checkoutOut struct {
	CheckoutURL string  `json:"checkout_url" jsonschema:"give this link to the shopper: they open it in a browser and pay there"`
	ExpiresAt   string  `json:"expires_at" jsonschema:"RFC 3339; ask again for a new link after this"`
	Cart        cartOut `json:"cart"`
}

func (o checkoutOut) Summary() string {
	return "Open this link in a browser to enter the address and pay: " + o.CheckoutURL
}

func (s *Server) startCheckout(ctx context.Context, c *caller, in cartIn) (checkoutOut, error) {
	link, exp, err := s.c.Checkout.Handoff(ctx, in.CartID, c.uid())
	if err != nil {
		return checkoutOut{}, err
	}
	v, err := s.c.Carts.Get(ctx, in.CartID, c.uid())
	if err != nil {
		return checkoutOut{}, err
	}
	return checkoutOut{CheckoutURL: link, ExpiresAt: exp.Format(time.RFC3339), Cart: toCart(v)}, nil
}

// ------------------------------------------------------------------ orders

type orderStatusIn struct {
	OrderID string `json:"order_id" jsonschema:"the order's id: the secret in the confirmation link /orders/{id} (a guest's access token), or any id of the signed-in shopper's own orders"`
}

type orderLine struct {
	ProductName string      `json:"product_name"`
	SKU         string      `json:"sku"`
	Quantity    int         `json:"quantity"`
	LineTotal   ocean.Money `json:"line_total"`
}

type orderStatusOut struct {
	Number         string         `json:"number" jsonschema:"the order number people quote"`
	Status         order.Status   `json:"status" jsonschema:"pending_payment, paid, fulfilled, delivered, cancelled, refunded or partially_refunded"`
	PaymentStatus  string         `json:"payment_status"`
	Items          []orderLine    `json:"items"`
	Totals         pricing.Totals `json:"totals"`
	Refunded       ocean.Money    `json:"refunded"`
	ShippingMethod string         `json:"shipping_method"`
	TrackingNumber string         `json:"tracking_number,omitempty"`
	CreatedAt      string         `json:"created_at"`
	PaidAt         string         `json:"paid_at,omitempty"`
}

func (o orderStatusOut) Summary() string {
	return fmt.Sprintf("Order %s is %s (total %s).", o.Number, o.Status, money(o.Totals.Total))
}

func toOrderStatus(o *order.Order) orderStatusOut {
	out := orderStatusOut{Number: o.Number(), Status: o.Status, PaymentStatus: o.PaymentStatus, Items: []orderLine{}, Totals: o.Totals,
		Refunded: ocean.Money{Amount: o.Refunded, Currency: o.Totals.Total.Currency}, ShippingMethod: o.ShippingMethod,
		TrackingNumber: o.Tracking, CreatedAt: o.CreatedAt.UTC().Format(time.RFC3339)}
	if o.PaidAt != nil {
		out.PaidAt = o.PaidAt.UTC().Format(time.RFC3339)
	}
	for _, it := range o.Items {
		out.Items = append(out.Items, orderLine{ProductName: it.ProductName, SKU: it.SKU, Quantity: it.Quantity, LineTotal: it.LineTotal})
	}
	return out
}

// getOrderStatus follows the API's GET /api/v1/orders/{id}: a guest order
// to whoever holds its id, a shopper's order to that shopper only. No
// address or e-mail is shown: a forwarded link tells where an order is,
// not where it goes.
func (s *Server) getOrderStatus(ctx context.Context, c *caller, in orderStatusIn) (orderStatusOut, error) {
	o, err := s.c.Checkout.OrderFor(ctx, strings.TrimSpace(in.OrderID), c.uid())
	if err != nil {
		return orderStatusOut{}, err
	}
	return toOrderStatus(o), nil
}

// ---------------------------------------------------------------- register

func (s *Server) addShopperTools() error {
	return firstErr(
		addTool(s, &sdk.Tool{Name: "search_catalog", Description: "Search the shop's products by words, category, price range (minor units) and stock, sorted and paged. Returns product cards; get_product gives variants and stock.",
			Annotations: readOnly("Search the catalog")}, "", `{"query":"linen shirt","category":"clothing","min_price":1000,"max_price":90000,"in_stock":true,"sort":"price_asc"}`, s.searchCatalog),
		addTool(s, &sdk.Tool{Name: "get_product", Description: "A product's details: description, options, and every variant with its id, price and units available.",
			Annotations: readOnly("Get a product")}, "", `{"slug":"linen-shirt"}`, s.getProduct),
		addTool(s, &sdk.Tool{Name: "list_categories", Description: "Every category of the catalog, top-level first, with slugs to filter search_catalog by.",
			Annotations: readOnly("List categories")}, "", `{}`, s.listCategories),
		addTool(s, &sdk.Tool{Name: "create_cart", Description: "Start a new, empty cart. Keep the cart_id it returns: it is the key to the cart.",
			Annotations: writes("Create a cart", false, false)}, "", `{}`, s.createCart),
		addTool(s, &sdk.Tool{Name: "get_cart", Description: "The cart's lines, discount and totals, priced now.",
			Annotations: readOnly("Get a cart")}, "", `{"cart_id":"4f9c1e0a8b7d6c5e4f3a2b1c0d9e8f7a"}`, s.getCart),
		addTool(s, &sdk.Tool{Name: "add_to_cart", Description: "Add units of a product variant to the cart (stock permitting). Calling it twice adds twice.",
			Annotations: writes("Add to cart", false, false)}, "", `{"cart_id":"4f9c1e0a8b7d6c5e4f3a2b1c0d9e8f7a","variant_id":"12","quantity":1}`, s.addToCart),
		addTool(s, &sdk.Tool{Name: "update_cart_item", Description: "Set the number of units of one cart line.",
			Annotations: writes("Change a cart line", true, true)}, "", `{"cart_id":"4f9c1e0a8b7d6c5e4f3a2b1c0d9e8f7a","item_id":"3","quantity":2}`, s.updateCartItem),
		addTool(s, &sdk.Tool{Name: "remove_cart_item", Description: "Remove one line from the cart.",
			Annotations: writes("Remove a cart line", true, true)}, "", `{"cart_id":"4f9c1e0a8b7d6c5e4f3a2b1c0d9e8f7a","item_id":"3"}`, s.removeCartItem),
		addTool(s, &sdk.Tool{Name: "apply_discount", Description: "Apply the shopper's discount code to the cart (replacing any other); an empty code removes it. A code that does not apply says why.",
			Annotations: writes("Apply a discount code", false, true)}, "", `{"cart_id":"4f9c1e0a8b7d6c5e4f3a2b1c0d9e8f7a","code":"WELCOME10"}`, s.applyDiscount),
		addTool(s, &sdk.Tool{Name: "list_shipping_methods", Description: "Shipping methods and their prices, for a destination country.",
			Annotations: readOnly("List shipping methods")}, "", `{"country":"ZA"}`, s.listShippingMethods),
		addTool(s, &sdk.Tool{Name: "start_checkout", Description: "A link to the shop's checkout for this cart. Give it to the shopper: they open it in a browser, enter their address and card, and pay there. You never see or handle card details. The link works for 30 minutes.",
			Annotations: readOnly("Start checkout")}, "", `{"cart_id":"4f9c1e0a8b7d6c5e4f3a2b1c0d9e8f7a"}`, s.startCheckout),
		addTool(s, &sdk.Tool{Name: "get_order_status", Description: "An order's status, items, totals, payment and tracking number, given its id (from the confirmation link, which is the order's access token) or as the signed-in shopper who placed it.",
			Annotations: readOnly("Get an order's status")}, "", `{"order_id":"9b2f0c1d2e3f4a5b6c7d8e9f0a1b2c3d"}`, s.getOrderStatus),
		addTool(s, &sdk.Tool{Name: "search_help", Description: "Search the shop's help: shipping, returns and privacy policies and the FAQ. Returns the best-matching sections.",
			Annotations: readOnly("Search help")}, "", `{"query":"how long do returns take"}`, s.searchHelp),
	)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
