//! Which executor runs the network on the CPU, chosen in one place: tract's optimised plan, or
//! our own program (`crate::program` lowered from tract's decluttered graph, run by
//! `crate::cpu`). tract stays the ONNX loader, shape inference and decluttering either way, and
//! the fallback: a graph the program does not cover runs on tract's plan, with the reason kept
//! for `info`. The WebGPU executor is chosen above this, per device (`web/bindings.rs`).
//!
//! The default is tract's plan until our program is faster than it (issue 23; DESIGN.md "Our own
//! CPU executor"); [`CpuEngine::Program`] opts in, and [`CpuEngine::Tract`] will stay the
//! documented way to force tract's plan (for comparison, and as a safety valve) once the default
//! changes.

use crate::cpu::CpuProgram;
use std::sync::{Arc, Mutex};
use tract_onnx::prelude::TypedRunnableModel;

/// The CPU executor a model's inference runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CpuEngine {
    /// tract's optimised plan (today's default).
    #[default]
    Tract,
    /// Our own program of steps (`crate::cpu`); a graph with an op it does not cover runs on
    /// tract's plan instead, the reason in `Session::engine_fallback`.
    Program,
}

impl CpuEngine {
    /// Parses the option's spelling: `"tract"` or `"program"`.
    pub fn parse(name: &str) -> Option<CpuEngine> {
        match name {
            "tract" => Some(CpuEngine::Tract),
            "program" => Some(CpuEngine::Program),
            _ => None,
        }
    }

    /// The option's spelling.
    pub fn name(self) -> &'static str {
        match self {
            CpuEngine::Tract => "tract",
            CpuEngine::Program => "program",
        }
    }
}

/// A network made ready for one input size on the executor that runs it.
#[derive(Clone)]
pub(crate) enum Compiled {
    /// tract's runnable plan.
    Tract(Arc<TypedRunnableModel>),
    /// Our program on the CPU executor (its buffers are reused by every run, hence the lock).
    Program(Arc<Mutex<CpuProgram>>),
}
