//! The fusion pass over a lowered [`Program`]: element-wise steps that only finish a product's
//! output folded into the product's epilogue, for every executor (the CPU's `gemm::store`, the
//! GPU's `gemm.wgsl`). The lowering already fuses a bias `Add` and an activation that follow a
//! convolution node in tract's graph (`lower::Lowering::epilogue`); this pass works on the steps,
//! where more of them show up:
//!
//! tract declutters a 1×1 convolution over a concatenation, `Conv(Concat(x₀, x₁, x₂))` (the `cv2`
//! of every YOLO11 C3k2 block), into one product per part summed by `Add`s, then the bias `Add`
//! and the SiLU: 3 products, 3 additions and a SiLU, each addition and the SiLU a pass over the
//! whole output (in YOLO11n they were 9 % of the CPU program's time). After this pass the first
//! product writes the sum's tensor, each next one adds into it (`accumulate`), and the last one
//! also adds the bias and applies the SiLU: 3 steps.
//!
//! Three rewrites, each one only where the value it removes is read by that one step alone and is
//! no graph output, and the product covers its whole output tensor with plain row-major strides:
//! - **sum**: `out = e + g`, `g` a product's only output: `e`'s writers write `out`, the product
//!   (run after all of them) adds into it;
//! - **bias**: `out = g + bias` with one constant per channel: the product's bias;
//! - **activation**: `out = silu(g)` or `sigmoid(g)`: the product's activation.

use super::params::{Act, BinaryParams, GemmParams, UnaryParams};
use super::{Params, Program, TensorId, TensorKind};

/// Applies the three rewrites until none applies; returns how many steps went.
pub fn fuse(program: &mut Program) -> usize {
    let before = program.steps.len();
    while let Some((step, fusion)) = next_fusion(program) {
        apply(program, step, fusion);
    }
    before - program.steps.len()
}

/// What one element-wise step becomes.
#[derive(Debug, Clone, Copy)]
enum Fusion {
    /// The step adds `earlier` to `product`'s output.
    Sum { earlier: TensorId, product: usize },
    /// The step adds the per-row constant `bias` to `product`'s output, as the product's bias
    /// `mode` (per row or per column of the product, as its output is laid out).
    Bias { product: usize, bias: TensorId, mode: u32 },
    /// The step applies `act` to `product`'s output.
    Activation { product: usize, act: Act },
}

/// Which steps read and which write each tensor.
struct Uses {
    readers: Vec<Vec<usize>>,
    writers: Vec<Vec<usize>>,
}

impl Uses {
    fn of(program: &Program) -> Uses {
        let n = program.tensors.len();
        let (mut readers, mut writers) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        for (i, step) in program.steps.iter().enumerate() {
            if let Some((&out, inputs)) = step.tensors.split_last() {
                writers[out].push(i);
                for &t in inputs {
                    if !readers[t].contains(&i) {
                        readers[t].push(i);
                    }
                }
            }
        }
        Uses { readers, writers }
    }
}

/// The first element-wise step that can be fused, and how.
fn next_fusion(program: &Program) -> Option<(usize, Fusion)> {
    let uses = Uses::of(program);
    (0..program.steps.len()).find_map(|s| fusion_at(program, &uses, s).map(|f| (s, f)))
}

fn fusion_at(program: &Program, uses: &Uses, s: usize) -> Option<Fusion> {
    let step = &program.steps[s];
    let (&out, inputs) = step.tensors.split_last()?;
    // `out` is this step's own: written here first and only, read only later.
    if uses.writers[out] != [s] || uses.readers[out].iter().any(|&r| r <= s) {
        return None;
    }
    // `t` exists only to be read by this step.
    let only_here = |t: TensorId| {
        uses.readers[t] == [s]
            && matches!(program.tensors[t].kind, TensorKind::Intermediate)
            && !program.outputs.iter().any(|o| o.0 == t)
    };
    let len = program.tensors[out].len;
    match (&step.params, inputs) {
        (Params::Binary(b), &[x, y]) if b.op == BinaryParams::ADD => {
            let unbroadcast = b.rank == 1 && b.a_strides[0] == 1 && b.b_strides[0] == 1 && b.count as usize == len;
            if unbroadcast {
                for (g, earlier) in [(y, x), (x, y)] {
                    let &[product] = uses.writers[g].as_slice() else { continue };
                    let first_sum = gemm_of(program, product)
                        .is_some_and(|p| p.accumulate == 0 && p.act == Act::None as u32 && plain_full(p, len));
                    let written_before =
                        !uses.writers[earlier].is_empty() && uses.writers[earlier].iter().all(|&w| w < product);
                    if first_sum
                        && written_before
                        && only_here(g)
                        && only_here(earlier)
                        && program.tensors[earlier].len == len
                    {
                        return Some(Fusion::Sum { earlier, product });
                    }
                }
            }
            if b.rank == 2 {
                let (m, n) = (b.shape[0], b.shape[1]);
                for (g, bias, g_strides, bias_strides) in
                    [(x, y, b.a_strides, b.b_strides), (y, x, b.b_strides, b.a_strides)]
                {
                    let per_row = bias_strides[..2] == [1, 0] && g_strides[..2] == [n, 1];
                    let constant = matches!(program.tensors[bias].kind, TensorKind::Const(_))
                        && program.tensors[bias].len == m as usize;
                    let Some(&product) = uses.writers[g].last() else { continue };
                    let mode = gemm_of(program, product).and_then(|p| {
                        let free = p.bias_mode == GemmParams::BIAS_NONE && p.act == Act::None as u32;
                        if free && plain_full(p, len) {
                            bias_mode_for(p, m, n)
                        } else {
                            None
                        }
                    });
                    if let (true, true, Some(mode), true) = (per_row, constant, mode, only_here(g)) {
                        return Some(Fusion::Bias { product, bias, mode });
                    }
                }
            }
            None
        }
        (Params::Unary(u), &[g]) => {
            let act = match u.op {
                UnaryParams::SILU => Act::Silu,
                UnaryParams::SIGMOID => Act::Sigmoid,
                _ => return None,
            };
            let &product = uses.writers[g].last()?;
            let fits = match &program.steps[product].params {
                Params::Gemm(p) => p.act == Act::None as u32 && plain_full(p, len),
                Params::ConvDirect(p) => p.act == Act::None as u32 && p.count as usize == len,
                _ => false,
            };
            (fits && only_here(g)).then_some(Fusion::Activation { product, act })
        }
        _ => None,
    }
}

fn gemm_of(program: &Program, step: usize) -> Option<&GemmParams> {
    match &program.steps[step].params {
        Params::Gemm(p) => Some(p),
        _ => None,
    }
}

/// One batch whose `m × n` values fill the `len` values of C, row-major (C's rows are its
/// `m` rows) or column-major (C's rows are its `n` columns: the einsum of a one-channel part
/// comes out so).
fn plain_full(p: &GemmParams, len: usize) -> bool {
    p.batches <= 1
        && p.batch_split == 0
        && p.col_split == 0
        && p.m as usize * p.n as usize == len
        && ((p.c_n == 1 && p.c_m == p.n) || (p.c_m == 1 && p.c_n == p.m))
}

/// The bias mode that adds a constant per row of a `rows × cols` row-major output to a product
/// that fills it ([`plain_full`]), if its layout has one.
fn bias_mode_for(p: &GemmParams, rows: u32, cols: u32) -> Option<u32> {
    if p.c_n == 1 && (p.m, p.n) == (rows, cols) {
        Some(GemmParams::BIAS_PER_ROW)
    } else if p.c_m == 1 && (p.n, p.m) == (rows, cols) {
        Some(GemmParams::BIAS_PER_COLUMN)
    } else {
        None
    }
}

/// Every mention of tensor `from` becomes `to`.
fn rename(program: &mut Program, from: TensorId, to: TensorId) {
    for step in &mut program.steps {
        step.tensors.iter_mut().filter(|t| **t == from).for_each(|t| *t = to);
    }
}

fn apply(program: &mut Program, s: usize, fusion: Fusion) {
    let out = *program.steps[s].tensors.last().expect("a fused step has an output");
    let (product, suffix) = match fusion {
        Fusion::Sum { earlier, product } => {
            rename(program, earlier, out);
            let step = &mut program.steps[product];
            if let Params::Gemm(p) = &mut step.params {
                p.accumulate = 1;
            }
            if let Some(last) = step.tensors.last_mut() {
                *last = out;
            }
            (product, "+sum")
        }
        Fusion::Bias { product, bias, mode } => {
            let g = *program.steps[product].tensors.last().expect("a product has an output");
            rename(program, g, out);
            let step = &mut program.steps[product];
            if let Params::Gemm(p) = &mut step.params {
                p.bias_mode = mode;
            }
            step.tensors[2] = bias;
            (product, "+bias")
        }
        Fusion::Activation { product, act } => {
            let g = *program.steps[product].tensors.last().expect("a product has an output");
            rename(program, g, out);
            match &mut program.steps[product].params {
                Params::Gemm(p) => p.act = act as u32,
                Params::ConvDirect(p) => p.act = act as u32,
                _ => {}
            }
            (product, if act == Act::Silu { "+silu" } else { "+sigmoid" })
        }
    };
    let label = &mut program.steps[product].label;
    label.push(' ');
    label.push_str(suffix);
    program.steps.remove(s);
}
