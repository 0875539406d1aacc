package ocean

import "testing"

func TestCurrencyFormatting(t *testing.T) {
	for _, c := range []struct {
		m          Money
		want       string
		digits     int
		unit       int64
		isCurrency bool
	}{
		{Money{129900, "ZAR"}, "R1,299.00", 2, 100, true},
		{Money{-5, "USD"}, "-$0.05", 2, 100, true},
		{Money{1500, "JPY"}, "¥1,500", 0, 1, true},
		{Money{1500, "ISK"}, "ISK 1,500", 0, 1, true},
		{Money{1234567, "KWD"}, "KWD 1,234.567", 3, 1000, true},
		{Money{12345, "CLF"}, "CLF 1.2345", 4, 10000, true},
		{Money{999, "EUR"}, "€9.99", 2, 100, true},
		{Money{100, "XYZ"}, "XYZ 1.00", 2, 100, false},
	} {
		if got := c.m.String(); got != c.want {
			t.Errorf("%+v = %q; want %q", c.m, got, c.want)
		}
		if Digits(c.m.Currency) != c.digits || Unit(c.m.Currency) != c.unit || IsCurrency(c.m.Currency) != c.isCurrency {
			t.Errorf("%s: digits %d unit %d currency %v", c.m.Currency, Digits(c.m.Currency), Unit(c.m.Currency), IsCurrency(c.m.Currency))
		}
	}
	if (Money{Amount: 150000, Currency: "ZAR"}).Plain() != "1,500.00" || Symbol("ZAR") != "R" || Symbol("NAD") != "NAD " {
		t.Fatal("plain or symbol")
	}
	if n, err := ParseMajor("1.250", "KWD"); err != nil || n != 1250 {
		t.Fatalf("KWD: %d %v", n, err)
	}
	if _, err := ParseMajor("15.5", "JPY"); err == nil {
		t.Fatal("JPY has no minor unit")
	}
}
