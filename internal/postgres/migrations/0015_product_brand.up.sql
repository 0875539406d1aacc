-- A product's brand (the maker or label; "Vendor" in a Shopify CSV file).
ALTER TABLE products ADD COLUMN brand TEXT NOT NULL DEFAULT '';
