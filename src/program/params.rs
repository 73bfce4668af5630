//! Typed step parameters: one `#[repr(C)]` plain-old-data struct per kernel family, uploaded
//! as is ([`Params::bytes`]) and declared field for field, in the same order, as a WGSL
//! `struct` by the kernel that reads it (`var<storage, read> p: GemmParams;` in `gemm.wgsl`, and
//! so on). Every field is a `u32` or an array of them, so the byte layouts agree (4-byte fields,
//! 4-byte array stride in a storage buffer, no padding); a test in `gpu::kernel` checks each WGSL
//! declaration against its struct, name by name. The CPU executor reads the same structs.
//!
//! Sizes, strides and offsets are counted in `f32` values. Per-axis arrays hold [`MAX_RANK`]
//! entries; only the first `rank` are read.

use bytemuck::{Pod, Zeroable};

/// Highest tensor rank the strided kernels (binary, copy) take.
pub const MAX_RANK: usize = 6;

/// Declares a parameter struct and records its fields' names and sizes for the layout test.
macro_rules! params {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[repr(C)]
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Pod, Zeroable)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// Each field's name and size in bytes, in order (what the WGSL struct must declare).
            pub const FIELDS: &'static [(&'static str, usize)] =
                &[$((stringify!($field), std::mem::size_of::<$ty>())),*];
        }
    };
}

params! {
    /// `gemm.wgsl` (both of its tiles): the batched product
    /// `C[b, m, n] = act(Σ_k A[b, m, k] · B[b, k, n] + bias [+ C[b, m, n]])`, A, B and C read and written
    /// through strides. With `im2col` set, B is the convolution patches of an image (an implicit
    /// GEMM: row `k` of B is input channel `k / (kh·kw)` at tap `k % (kh·kw)`, column `n` is
    /// output pixel `(n / ow, n % ow)`). Unused fields are zero.
    GemmParams {
        /// Rows of C.
        m: u32,
        /// Columns of C.
        n: u32,
        /// The summed axis.
        k: u32,
        /// A's stride per batch.
        a_batch: u32,
        /// A's stride per row.
        a_m: u32,
        /// A's stride per k.
        a_k: u32,
        /// B's stride per batch (with `im2col`: added to every image offset).
        b_batch: u32,
        /// B's stride per k (not read with `im2col`).
        b_k: u32,
        /// B's stride per column (not read with `im2col`).
        b_n: u32,
        /// C's stride per batch (with `batch_split`: per group of `batch_split` batches).
        c_batch: u32,
        /// C's stride per row.
        c_m: u32,
        /// C's stride per column (with `col_split`: within a group of `col_split` columns).
        c_n: u32,
        /// The bias: [`GemmParams::BIAS_NONE`], [`GemmParams::BIAS_PER_ROW`] (one value per m)
        /// or [`GemmParams::BIAS_PER_COLUMN`] (one per n).
        bias_mode: u32,
        /// The activation applied last ([`Act`]).
        act: u32,
        /// 1: B is the patches of an image (the fields from `c_in` to `x_w`); 0: a matrix.
        im2col: u32,
        /// The image's channels (K is `c_in · kh · kw`; the kernel reads K only).
        c_in: u32,
        /// The image's height.
        h: u32,
        /// The image's width.
        w: u32,
        /// Kernel height.
        kh: u32,
        /// Kernel width.
        kw: u32,
        /// Vertical stride.
        stride_h: u32,
        /// Horizontal stride.
        stride_w: u32,
        /// Rows of padding above the image.
        pad_h: u32,
        /// Columns of padding left of the image.
        pad_w: u32,
        /// Vertical dilation.
        dil_h: u32,
        /// Horizontal dilation.
        dil_w: u32,
        /// Output width (columns of C are output pixels, row-major).
        ow: u32,
        /// The image's stride per channel (channels first or last).
        x_c: u32,
        /// The image's stride per row.
        x_h: u32,
        /// The image's stride per column.
        x_w: u32,
        /// A scattered C, 0 for plain strides: batch `b` writes at
        /// `(b / batch_split) · c_batch + (b % batch_split) · c_batch_inner`.
        batch_split: u32,
        /// See `batch_split`.
        c_batch_inner: u32,
        /// A scattered C, 0 for plain strides: column `j` writes at
        /// `(j / col_split) · c_col_outer + (j % col_split) · c_n`. A transposed convolution
        /// whose kernel equals its stride is such a product: one batch per kernel tap, its
        /// pixels interleaved in the output.
        col_split: u32,
        /// See `col_split`.
        c_col_outer: u32,
        /// Batches (the GPU runs one workgroup layer per batch).
        batches: u32,
        /// 1: C's current values are added to the sums, with the bias, before the activation (a
        /// sum of products written in place, set by the fusion pass, `program::fuse`); 0: C is
        /// only written.
        accumulate: u32,
    }
}

impl GemmParams {
    /// `bias_mode`: no bias.
    pub const BIAS_NONE: u32 = 0;
    /// `bias_mode`: one bias value per row (m).
    pub const BIAS_PER_ROW: u32 = 1;
    /// `bias_mode`: one bias value per column (n).
    pub const BIAS_PER_COLUMN: u32 = 2;

    /// Where batch `batch` starts in C (through `batch_split` when it is set).
    pub fn c_batch_offset(&self, batch: usize) -> usize {
        match self.batch_split as usize {
            0 => batch * self.c_batch as usize,
            split => (batch / split) * self.c_batch as usize + (batch % split) * self.c_batch_inner as usize,
        }
    }

    /// Where column `col` lies in a row of C (through `col_split` when it is set).
    pub fn c_col_offset(&self, col: usize) -> usize {
        match self.col_split as usize {
            0 => col * self.c_n as usize,
            split => (col / split) * self.c_col_outer as usize + (col % split) * self.c_n as usize,
        }
    }
}

params! {
    /// `conv_direct.wgsl`: a grouped (depthwise) 2-D convolution or its transpose, one output
    /// value per invocation, bias and activation fused. A batch of one, channels first or last
    /// (through strides); weights OIHW `[c_out, c_in / groups, kh, kw]`.
    ConvDirectParams {
        /// Output values (`c_out · oh · ow`).
        count: u32,
        /// Input channels.
        c_in: u32,
        /// Input height.
        h: u32,
        /// Input width.
        w: u32,
        /// Output channels.
        c_out: u32,
        /// Output height.
        oh: u32,
        /// Output width.
        ow: u32,
        /// Kernel height.
        kh: u32,
        /// Kernel width.
        kw: u32,
        /// Vertical stride.
        stride_h: u32,
        /// Horizontal stride.
        stride_w: u32,
        /// Rows of padding before.
        pad_h: u32,
        /// Columns of padding before.
        pad_w: u32,
        /// Vertical dilation.
        dil_h: u32,
        /// Horizontal dilation.
        dil_w: u32,
        /// Groups (`c_in` and `c_out` are multiples of it).
        groups: u32,
        /// 1: add the per-channel bias.
        has_bias: u32,
        /// The activation applied last ([`Act`]).
        act: u32,
        /// 1: a transposed convolution.
        transposed: u32,
        /// Input stride per channel.
        x_c: u32,
        /// Input stride per row.
        x_h: u32,
        /// Input stride per column.
        x_w: u32,
        /// Output stride per channel.
        y_c: u32,
        /// Output stride per row.
        y_h: u32,
        /// Output stride per column.
        y_w: u32,
    }
}

params! {
    /// `binary.wgsl`: `out = a ∘ b` with numpy broadcasting through per-axis strides (0 on a
    /// broadcast axis), the output contiguous row-major.
    BinaryParams {
        /// Output values.
        count: u32,
        /// Axes used in the arrays below (1 to [`MAX_RANK`]).
        rank: u32,
        /// 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 max, 6 min.
        op: u32,
        /// Output shape (padded with 1).
        shape: [u32; MAX_RANK],
        /// A's stride per output axis (padded with 0).
        a_strides: [u32; MAX_RANK],
        /// B's stride per output axis (padded with 0).
        b_strides: [u32; MAX_RANK],
    }
}

params! {
    /// `unary.wgsl`: `out = f(a)` element-wise over contiguous values.
    UnaryParams {
        /// Values.
        count: u32,
        /// 0 SiLU, 1 sigmoid, 2 sin, 3 cos, 4 exp, 5 tanh, 6 neg, 7 abs, 8 sqrt, 9 recip, 10 ln,
        /// 11 relu.
        op: u32,
    }
}

params! {
    /// `copy.wgsl`: a strided copy of a region (slice, concat part, transpose, reshape, nearest
    /// upsample by integer factors, downsample). For each coordinate of the region:
    /// `out[out_off + Σ coord · out_strides] = in[in_off + Σ (coord / divisors) · in_strides]`.
    CopyParams {
        /// Values in the region.
        count: u32,
        /// Axes used in the arrays below (1 to [`MAX_RANK`]).
        rank: u32,
        /// Where the region starts in the input.
        in_off: u32,
        /// Where it starts in the output.
        out_off: u32,
        /// The region's shape (padded with 1).
        shape: [u32; MAX_RANK],
        /// Input stride per axis (padded with 0).
        in_strides: [u32; MAX_RANK],
        /// Output stride per axis (padded with 0).
        out_strides: [u32; MAX_RANK],
        /// Per axis, how many output coordinates read the same input one (padded with 1).
        divisors: [u32; MAX_RANK],
    }
}

params! {
    /// `softmax.wgsl`: softmax over the middle axis of a contiguous `[outer, len, inner]`, one
    /// lane per invocation.
    SoftmaxParams {
        /// Lanes: `outer · inner`.
        lanes: u32,
        /// The softmax axis.
        len: u32,
        /// Values after the axis.
        inner: u32,
    }
}

params! {
    /// `reduce.wgsl`: a reduction over the middle axis of a contiguous `[outer, len, inner]`,
    /// one output per invocation.
    ReduceParams {
        /// Outputs: `outer · inner`.
        lanes: u32,
        /// The reduced axis.
        len: u32,
        /// Values after the axis.
        inner: u32,
        /// 0 sum, 1 mean, 2 max, 3 min, 4 product.
        op: u32,
    }
}

params! {
    /// `maxpool.wgsl`: a 2-D max pool over an image of a batch of one, channels first or last
    /// (through strides).
    MaxPoolParams {
        /// Output values (`channels · oh · ow`).
        count: u32,
        /// Input height.
        h: u32,
        /// Input width.
        w: u32,
        /// Output height.
        oh: u32,
        /// Output width.
        ow: u32,
        /// Window height.
        kh: u32,
        /// Window width.
        kw: u32,
        /// Vertical stride.
        stride_h: u32,
        /// Horizontal stride.
        stride_w: u32,
        /// Rows of padding before.
        pad_h: u32,
        /// Columns of padding before.
        pad_w: u32,
        /// Vertical dilation.
        dil_h: u32,
        /// Horizontal dilation.
        dil_w: u32,
        /// Input stride per channel.
        x_c: u32,
        /// Input stride per row.
        x_h: u32,
        /// Input stride per column.
        x_w: u32,
        /// Output stride per channel.
        y_c: u32,
        /// Output stride per row.
        y_h: u32,
        /// Output stride per column.
        y_w: u32,
    }
}

impl BinaryParams {
    /// `op`: `a + b`.
    pub const ADD: u32 = 0;
    /// `op`: `a - b`.
    pub const SUB: u32 = 1;
    /// `op`: `a · b`.
    pub const MUL: u32 = 2;
    /// `op`: `a / b`.
    pub const DIV: u32 = 3;
    /// `op`: `a ^ b`.
    pub const POW: u32 = 4;
    /// `op`: `max(a, b)`.
    pub const MAX: u32 = 5;
    /// `op`: `min(a, b)`.
    pub const MIN: u32 = 6;
}

impl UnaryParams {
    /// `op`: `x · sigmoid(x)`.
    pub const SILU: u32 = 0;
    /// `op`: `1 / (1 + e^-x)`.
    pub const SIGMOID: u32 = 1;
    /// `op`: `sin x`.
    pub const SIN: u32 = 2;
    /// `op`: `cos x`.
    pub const COS: u32 = 3;
    /// `op`: `e^x`.
    pub const EXP: u32 = 4;
    /// `op`: `tanh x`.
    pub const TANH: u32 = 5;
    /// `op`: `-x`.
    pub const NEG: u32 = 6;
    /// `op`: `|x|`.
    pub const ABS: u32 = 7;
    /// `op`: `√x`.
    pub const SQRT: u32 = 8;
    /// `op`: `1 / x`.
    pub const RECIP: u32 = 9;
    /// `op`: `ln x`.
    pub const LN: u32 = 10;
    /// `op`: `max(x, 0)`.
    pub const RELU: u32 = 11;
}

impl ReduceParams {
    /// `op`: the sum.
    pub const SUM: u32 = 0;
    /// `op`: the mean.
    pub const MEAN: u32 = 1;
    /// `op`: the maximum.
    pub const MAX: u32 = 2;
    /// `op`: the minimum.
    pub const MIN: u32 = 3;
    /// `op`: the product.
    pub const PROD: u32 = 4;
}

/// The activation fused after a product (`act` of [`GemmParams`] and [`ConvDirectParams`];
/// `activate` in the WGSL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Act {
    /// None.
    None = 0,
    /// `x · sigmoid(x)`.
    Silu = 1,
    /// `1 / (1 + e^-x)`.
    Sigmoid = 2,
}

/// A step's parameters: the kernel family and its typed values. The kernel a step runs is
/// derived from them ([`Params::kernel`]), so the two cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Params {
    /// A matrix product or implicit-GEMM convolution.
    Gemm(GemmParams),
    /// A grouped, depthwise or transposed convolution.
    ConvDirect(ConvDirectParams),
    /// Broadcasting binary arithmetic.
    Binary(BinaryParams),
    /// A unary function.
    Unary(UnaryParams),
    /// A strided copy.
    Copy(CopyParams),
    /// Softmax over one axis.
    Softmax(SoftmaxParams),
    /// A reduction over one axis.
    Reduce(ReduceParams),
    /// A 2-D max pool.
    MaxPool(MaxPoolParams),
}

impl Params {
    /// Tensors a step of this family binds: its inputs, then the output last (a bias-less
    /// product binds a one-value stand-in for the bias).
    pub fn tensor_count(&self) -> usize {
        match self {
            Params::Gemm(_) | Params::ConvDirect(_) => 4,
            Params::Binary(_) => 3,
            Params::Unary(_) | Params::Copy(_) | Params::Softmax(_) | Params::Reduce(_) | Params::MaxPool(_) => 2,
        }
    }

    /// The family's name, for errors and profiles.
    pub fn family(&self) -> &'static str {
        match self {
            Params::Gemm(_) => "gemm",
            Params::ConvDirect(_) => "conv_direct",
            Params::Binary(_) => "binary",
            Params::Unary(_) => "unary",
            Params::Copy(_) => "copy",
            Params::Softmax(_) => "softmax",
            Params::Reduce(_) => "reduce",
            Params::MaxPool(_) => "maxpool",
        }
    }

    /// The parameters as the bytes a kernel reads (the struct's `#[repr(C)]` layout).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Params::Gemm(p) => bytemuck::bytes_of(p),
            Params::ConvDirect(p) => bytemuck::bytes_of(p),
            Params::Binary(p) => bytemuck::bytes_of(p),
            Params::Unary(p) => bytemuck::bytes_of(p),
            Params::Copy(p) => bytemuck::bytes_of(p),
            Params::Softmax(p) => bytemuck::bytes_of(p),
            Params::Reduce(p) => bytemuck::bytes_of(p),
            Params::MaxPool(p) => bytemuck::bytes_of(p),
        }
    }
}
