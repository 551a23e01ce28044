//! Stagefile: a BuildKit frontend that builds container images from a declarative,
//! multi-stage YAML description.
//!
//! Data flows one way: bytes → [`spec`] → [`plan`] → [`llb`] → [`gateway`] → BuildKit.

pub mod diag;
pub mod spec;
pub mod plan;
pub mod platform;
pub mod llb;
pub mod image;
pub mod lower;
pub mod cli;
pub mod compile;
pub mod gateway;
