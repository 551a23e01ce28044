//! Stagefile: a BuildKit frontend that builds container images from a declarative,
//! multi-stage YAML description.
//!
//! Data flows one way: bytes → [`spec`] → [`plan`] → [`llb`] → [`gateway`] → BuildKit.

pub mod cli;
pub mod compile;
pub mod convert;
pub mod diag;
pub mod gateway;
pub mod ignore;
pub mod image;
pub mod include;
pub mod lint;
pub mod llb;
pub mod lower;
pub mod outline;
pub mod plan;
pub mod platform;
pub mod preset;
pub mod spec;
