package storetest

import (
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/ids"
)

var tenantTests = []testCase{
	{"CreateAndGet", func(f *fixture) {
		ten := &hookd.Tenant{ID: ids.New(ids.Tenant), Name: "Acme Corp"}
		f.must(f.s.CreateTenant(f.ctx, ten), "CreateTenant")
		if ten.CreatedAt.IsZero() || ten.UpdatedAt.IsZero() {
			f.Errorf("CreateTenant left CreatedAt %v, UpdatedAt %v unset", ten.CreatedAt, ten.UpdatedAt)
		}
		got, err := f.s.Tenant(f.ctx, ten.ID)
		f.must(err, "Tenant")
		f.diff("Tenant", ten, got)
	}},
	{"OperatorChosenID", func(f *fixture) {
		ten := &hookd.Tenant{ID: "customer-42", Name: "Customer 42"}
		f.must(f.s.CreateTenant(f.ctx, ten), "CreateTenant")
		got, err := f.s.Tenant(f.ctx, "customer-42")
		f.must(err, "Tenant")
		f.diff("Tenant", ten, got)
	}},
	{"DuplicateIDConflicts", func(f *fixture) {
		ten := f.tenant()
		err := f.s.CreateTenant(f.ctx, &hookd.Tenant{ID: ten.ID, Name: "Impostor"})
		f.wantCode(err, hookd.ECONFLICT, "CreateTenant with a taken id")
		got, err := f.s.Tenant(f.ctx, ten.ID)
		f.must(err, "Tenant")
		if got.Name != ten.Name {
			f.Errorf("the failed create renamed the tenant to %q", got.Name)
		}
	}},
	{"UnknownIsNotFound", func(f *fixture) {
		_, err := f.s.Tenant(f.ctx, "ten_missing")
		f.wantCode(err, hookd.ENOTFOUND, "Tenant")
		_, err = f.s.UpdateTenant(f.ctx, "ten_missing", hookd.TenantUpdate{Name: ptr("x")})
		f.wantCode(err, hookd.ENOTFOUND, "UpdateTenant")
		f.wantCode(f.s.DeleteTenant(f.ctx, "ten_missing"), hookd.ENOTFOUND, "DeleteTenant")
	}},
	{"ListByIDAscendingPaged", func(f *fixture) {
		// Tenant ids are the operator's own, so the list is by id, not by age.
		for _, id := range []string{"delta", "alpha", "echo", "charlie", "bravo"} {
			f.must(f.s.CreateTenant(f.ctx, &hookd.Tenant{ID: id, Name: "Tenant " + id}), "CreateTenant")
		}
		got := pages(f, 2, func(p hookd.Page) ([]*hookd.Tenant, error) { return f.s.Tenants(f.ctx, hookd.TenantFilter{}, p) },
			func(t *hookd.Tenant) string { return t.ID })
		f.diff("Tenants, pages of 2", []string{"alpha", "bravo", "charlie", "delta", "echo"}, got)
		rest, err := f.s.Tenants(f.ctx, hookd.TenantFilter{}, hookd.Page{Limit: 10, Cursor: "bravo"})
		f.must(err, "Tenants")
		var ids []string
		for _, t := range rest {
			ids = append(ids, t.ID)
		}
		f.diff("Tenants after cursor bravo", []string{"charlie", "delta", "echo"}, ids)
	}},
	{"Search", func(f *fixture) {
		for id, name := range map[string]string{"acme-eu": "Acme Europe", "acme-us": "Acme US", "globex": "Globex (was ACME 50%_off)", "initech": "Initech"} {
			f.must(f.s.CreateTenant(f.ctx, &hookd.Tenant{ID: id, Name: name}), "CreateTenant")
		}
		search := func(q string, p hookd.Page) []string {
			list, err := f.s.Tenants(f.ctx, hookd.TenantFilter{Search: q}, p)
			f.must(err, "Tenants search "+q)
			ids := []string{}
			for _, t := range list {
				ids = append(ids, t.ID)
			}
			return ids
		}
		all := hookd.Page{Limit: 10}
		f.diff("id prefix or name part, any case", []string{"acme-eu", "acme-us", "globex"}, search("acme", all))
		f.diff("id prefix only, not inside", []string{}, search("cme-", all))
		f.diff("name part", []string{"acme-eu"}, search("europe", all))
		f.diff("% and _ as written", []string{"globex"}, search("50%_", all))
		f.diff("% matches only a name with one", []string{"globex"}, search("%", all))
		f.diff("_ matches no other character", []string{}, search("acme_", all))
		f.diff("paged with the cursor", []string{"acme-us", "globex"}, search("acme", hookd.Page{Limit: 10, Cursor: "acme-eu"}))
	}},
	{"Rename", func(f *fixture) {
		ten := f.tenant()
		got, err := f.s.UpdateTenant(f.ctx, ten.ID, hookd.TenantUpdate{Name: ptr("Renamed Inc")})
		f.must(err, "UpdateTenant")
		want := *ten
		want.Name = "Renamed Inc"
		f.diff("UpdateTenant result", &want, got, ignoreUpdatedAt)
		if got.UpdatedAt.Before(ten.UpdatedAt.Truncate(time.Millisecond)) {
			f.Errorf("UpdatedAt went back: %v before %v", got.UpdatedAt, ten.UpdatedAt)
		}
		read, err := f.s.Tenant(f.ctx, ten.ID)
		f.must(err, "Tenant")
		f.diff("Tenant after rename", got, read)
	}},
	{"DeleteRemovesEverythingItOwns", func(f *fixture) {
		ten, ep := f.tenantWithEndpoint()
		evID := f.publishType(ten.ID, typeCreated)
		j := f.claimOne(f.at(time.Minute))
		f.fail(j, f.at(time.Minute), f.at(2*time.Minute))
		other, otherEp := f.tenantWithEndpoint()
		otherEv := f.publishType(other.ID, typeCreated)

		f.must(f.s.DeleteTenant(f.ctx, ten.ID), "DeleteTenant")

		_, err := f.s.Tenant(f.ctx, ten.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Tenant after delete")
		_, err = f.s.Endpoint(f.ctx, ten.ID, ep.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Endpoint of a deleted tenant")
		_, err = f.s.Event(f.ctx, ten.ID, evID)
		f.wantCode(err, hookd.ENOTFOUND, "Event of a deleted tenant")
		_, err = f.s.Delivery(f.ctx, ten.ID, j.DeliveryID)
		f.wantCode(err, hookd.ENOTFOUND, "Delivery of a deleted tenant")
		all, err := f.s.Tenants(f.ctx, hookd.TenantFilter{}, hookd.Page{Limit: 10})
		f.must(err, "Tenants")
		if len(all) != 1 || all[0].ID != other.ID {
			f.Errorf("Tenants after delete: got %d tenants, want only %s", len(all), other.ID)
		}

		// The deleted tenant's retry is gone from the queue; the other
		// tenant's work is untouched.
		jobs := f.claim(f.at(time.Hour), 100)
		if len(jobs) != 1 || jobs[0].TenantID != other.ID || jobs[0].EventID != otherEv {
			f.Errorf("claim after delete: got jobs %v, want only the other tenant's delivery", jobIDs(jobs))
		}
		f.getEndpoint(other.ID, otherEp.ID)
	}},
}
