//! The one integration-test binary (ripgrep's layout): a module per area.

mod cli;
mod corpus;
mod rules;
