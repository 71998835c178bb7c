package cxonesim

import (
	"net/http"
	"testing"
	"time"
)

func TestRefuseAndExpiredDateLayout(t *testing.T) {
	e := newAdminEnv(t, Config{})
	e.sim.SetRefuse(func(n string) bool { return n == number(2) })
	set := e.addRecords(digits(1), digits(2))
	if set.ErrorCount != 1 || !set.RecordResults[0].Success || set.RecordResults[1].Error != errInvalidPhone {
		t.Fatalf("a refused number in an admin add: %+v", set)
	}
	e.sim.SetRefuse(nil)
	if set := e.addRecords(digits(2)); set.ErrorCount != 0 {
		t.Fatalf("no longer refused: %+v", set)
	}

	at := time.Date(2031, 1, 2, 0, 0, 0, 0, time.UTC)
	if !e.sim.SetExpiry(number(1), at) || e.sim.SetExpiry(number(9), at) {
		t.Fatal("SetExpiry: want true for a listed number only")
	}
	e.sim.SetExpiredDateLayout("1/2/2006 3:04:05 PM")
	status, p, body := e.listPage("?skip=0&top=10")
	if status != http.StatusOK || len(p.ResultSet.DNCRecords) != 2 || p.ResultSet.DNCRecords[0].ExpiredDate == nil ||
		*p.ResultSet.DNCRecords[0].ExpiredDate != "1/2/2031 12:00:00 AM" || p.ResultSet.DNCRecords[1].ExpiredDate != nil {
		t.Fatalf("list with a US expiredDate: %d %s", status, body)
	}
	e.sim.SetExpiredDateLayout("")
	if _, p, body := e.listPage("?skip=0&top=10"); *p.ResultSet.DNCRecords[0].ExpiredDate != "2031-01-02T00:00:00Z" {
		t.Fatalf("default layout: %s", body)
	}
}

func TestRefuseV2(t *testing.T) {
	e := newEnv(t, Config{})
	e.sim.SetRefuse(func(string) bool { return true })
	if status, body := e.add(number(1)); status != http.StatusBadRequest || e.sim.Has(number(1)) {
		t.Fatalf("a refused add: %d %s", status, body)
	}
	e.sim.SetRefuse(nil)
	if status, body := e.add(number(1)); status != http.StatusCreated {
		t.Fatalf("no longer refused: %d %s", status, body)
	}
}
