//! The catalog's share of telling Square: which locations' sales the SKU objects write to Square
//! (`Topology::square_locations`, derived from the Square connection and the locations'
//! `pos_refs`, and sent to every SKU with the rest of the layout).

use worker::Result;

use lastunit::connect::square_out::square_locations;
use lastunit::connect::Provider;

use super::CatalogObject;

impl CatalogObject {
    /// Recomputes the layout's Square locations after a location or a connection changed;
    /// stores the layout and answers true when they changed (the caller fans it out).
    pub(super) fn refresh_square_locations(&self) -> Result<bool> {
        let topology = {
            let d = self.data.borrow();
            let writes = d.connections.get(&Provider::Square).is_some_and(|c| c.write);
            let square = square_locations(writes, d.locations.iter().map(|(l, c)| (l, &c.pos_refs)));
            if square == d.topology.square_locations {
                return Ok(false);
            }
            let mut t = d.topology.clone();
            t.square_locations = square;
            t
        };
        self.put_kv("topology", &topology)?;
        self.data.borrow_mut().topology = topology;
        Ok(true)
    }
}
