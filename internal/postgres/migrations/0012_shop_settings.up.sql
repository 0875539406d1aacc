-- The shop's settings: one row (id 1) with a version for optimistic
-- concurrency. Seeded with what was fixed in code before: the name Ocean,
-- ZAR, South Africa first and then the countries the storefront's address
-- form listed, prices including tax. countries is a comma-separated list
-- of ISO 3166-1 alpha-2 codes, the home country first.
CREATE TABLE shop_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    shop_name          TEXT NOT NULL,
    contact_email      TEXT NOT NULL,
    currency           TEXT NOT NULL,
    countries          TEXT NOT NULL,
    prices_include_tax INTEGER NOT NULL DEFAULT 1 CHECK (prices_include_tax IN (0, 1)),
    version            BIGINT NOT NULL DEFAULT 1
);
INSERT INTO shop_settings (id, shop_name, contact_email, currency, countries, prices_include_tax, version)
VALUES (1, 'Ocean', 'shop@example.com', 'ZAR', 'ZA,AE,AT,AU,BE,BW,CA,CH,DE,DK,ES,FI,FR,GB,GH,IE,IT,JP,KE,LS,MU,MW,MZ,NA,NG,NL,NO,NZ,PT,SE,SZ,TZ,US,ZM,ZW', 1, 1);
