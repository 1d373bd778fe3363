//! The one integration-test binary (ripgrep's layout): a module per area.

mod anthropic;
mod canary;
mod chat_stream;
mod cli;
mod corpus;
mod deploy;
mod disclosure;
mod e2e;
mod e2e_anthropic;
mod e2e_responses;
mod faults;
mod fuzz;
mod leak;
mod prompt_leak;
mod proxy;
mod reload;
mod responses;
mod rules;
mod scale_out;
mod serve;
mod support;
mod tls;
