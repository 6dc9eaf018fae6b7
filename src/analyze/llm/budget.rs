//! `[analyze] max_cost`: the run's spending cap on the model.
//!
//! Before each request the analyzer reserves the request's estimated cost (its
//! body's bytes over 4 in, [`super::EXPECTED_OUTPUT_TOKENS`] out); once the cost
//! already counted plus the reservations of the requests in flight would pass the
//! cap, the request is refused and so is every later one (a refusal is final, so a
//! small ticket cannot slip past a large one that waits). An answered request's
//! real tokens are counted by the analyzer before its reservation is released, so
//! the spent figure never dips below the truth.

use std::sync::Mutex;

use super::Tokens;
use crate::analyze::Price;

/// The cap and what is reserved against it.
pub(super) struct Budget {
    max_cost: f64,
    price: Price,
    state: Mutex<Reserved>,
}

#[derive(Default)]
struct Reserved {
    /// The estimated cost of the requests in flight.
    in_flight: f64,
    /// Set by the first refusal: no request is sent after it.
    exhausted: bool,
}

/// A request the budget let through; give it back with [`Budget::release`].
pub(super) struct Reservation(f64);

/// Why the budget refused a request.
pub(super) struct Refused {
    pub max_cost: f64,
}

impl Budget {
    pub fn new(max_cost: f64, price: Price) -> Self {
        Budget {
            max_cost,
            price,
            state: Mutex::new(Reserved::default()),
        }
    }

    /// Reserves what a request of `estimate` tokens costs, given `spent` so far.
    pub fn reserve(&self, spent: f64, estimate: Tokens) -> Result<Reservation, Refused> {
        let cost = self.price.cost_usd(estimate.input, estimate.output);
        let mut state = self.state.lock().expect("budget lock");
        if state.exhausted || spent + state.in_flight + cost > self.max_cost {
            state.exhausted = true;
            return Err(Refused {
                max_cost: self.max_cost,
            });
        }
        state.in_flight += cost;
        Ok(Reservation(cost))
    }

    /// Gives a reservation back once its real tokens are counted (or it failed).
    pub fn release(&self, reservation: Reservation) {
        let mut state = self.state.lock().expect("budget lock");
        state.in_flight = (state.in_flight - reservation.0).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICE: Price = Price {
        input_per_mtok: 1_000_000.0,
        output_per_mtok: 0.0,
    };

    #[test]
    fn requests_in_flight_count_against_the_cap_and_a_refusal_is_final() {
        let budget = Budget::new(3.0, PRICE);
        let two = Tokens {
            input: 2,
            output: 0,
        };
        let one = Tokens {
            input: 1,
            output: 0,
        };
        let first = budget.reserve(0.0, two).ok().expect("2 of 3");
        assert!(budget.reserve(0.0, two).is_err(), "2 in flight + 2 > 3");
        budget.release(first);
        assert!(
            budget.reserve(0.0, one).is_err(),
            "nothing is sent after a refusal"
        );
    }
}
