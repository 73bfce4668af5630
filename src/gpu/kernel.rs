//! The WGSL kernels and how a program step is dispatched on them: which kernel (and tile) reads
//! a step's [`Params`], and its workgroup grid. The program itself (`crate::program`) names no
//! device; these choices are the GPU's alone.

use crate::program::Params;

/// The WGSL kernels (entry points of the files in `src/gpu/wgsl/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kernel {
    /// Tiled batched matrix product, also the implicit-GEMM convolution (`gemm.wgsl`), 64 × 64
    /// tiles.
    Gemm,
    /// The same with 32 × 128 tiles, for products with at most 32 rows.
    GemmWide,
    /// Grouped / depthwise / transposed convolution, one output per invocation.
    ConvDirect,
    /// Broadcasting binary arithmetic.
    Binary,
    /// Unary functions.
    Unary,
    /// Strided copy: slice, concat, transpose, reshape, nearest upsample.
    Copy,
    /// Softmax over one axis.
    Softmax,
    /// Sum / mean / max / min / product over consecutive axes.
    Reduce,
    /// 2-D max pool.
    MaxPool,
}

impl Kernel {
    /// Every kernel, for building all pipelines at once.
    pub const ALL: [Kernel; 9] = [
        Kernel::Gemm,
        Kernel::GemmWide,
        Kernel::ConvDirect,
        Kernel::Binary,
        Kernel::Unary,
        Kernel::Copy,
        Kernel::Softmax,
        Kernel::Reduce,
        Kernel::MaxPool,
    ];

    /// The product kernel for `m` rows and its tile (rows, columns): the 32-row tile when the
    /// 64-row one would be mostly empty.
    pub fn gemm_for(m: usize) -> (Kernel, [usize; 2]) {
        if m <= 32 {
            (Kernel::GemmWide, [32, 128])
        } else {
            (Kernel::Gemm, [64, 64])
        }
    }

    /// The kernel that runs a step with these parameters.
    pub fn of(params: &Params) -> Kernel {
        match params {
            Params::Gemm(p) => Kernel::gemm_for(p.m as usize).0,
            Params::ConvDirect(_) => Kernel::ConvDirect,
            Params::Binary(_) => Kernel::Binary,
            Params::Unary(_) => Kernel::Unary,
            Params::Copy(_) => Kernel::Copy,
            Params::Softmax(_) => Kernel::Softmax,
            Params::Reduce(_) => Kernel::Reduce,
            Params::MaxPool(_) => Kernel::MaxPool,
        }
    }
}

/// Workgroups in x, y, z for a step: a product tiles its output (one layer per batch), every
/// other kernel runs one value (or lane) per invocation.
pub fn workgroups(params: &Params) -> [u32; 3] {
    match params {
        Params::Gemm(p) => {
            let (_, [tm, tn]) = Kernel::gemm_for(p.m as usize);
            [p.n.div_ceil(tn as u32), p.m.div_ceil(tm as u32), p.batches.max(1)]
        }
        Params::ConvDirect(p) => grid(p.count as usize),
        Params::Binary(p) => grid(p.count as usize),
        Params::Unary(p) => grid(p.count as usize),
        Params::Copy(p) => grid(p.count as usize),
        Params::Softmax(p) => grid(p.lanes as usize),
        Params::Reduce(p) => grid(p.lanes as usize),
        Params::MaxPool(p) => grid(p.count as usize),
    }
}

/// Workgroups for one value per invocation, 256 per workgroup, over a 2-D grid when the count
/// exceeds WebGPU's 65 535 per dimension (`flat_index` in `common.wgsl`).
pub fn grid(values: usize) -> [u32; 3] {
    let groups = values.div_ceil(256).max(1);
    let x = groups.min(65_535);
    [x as u32, groups.div_ceil(x) as u32, 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::params::{
        BinaryParams, ConvDirectParams, CopyParams, GemmParams, MaxPoolParams, ReduceParams, SoftmaxParams, UnaryParams,
    };

    /// A struct's field names and sizes (`FIELDS`).
    type Fields = &'static [(&'static str, usize)];

    /// A line's fields: split at commas outside `<…>` (`a: u32, b: array<u32, 6>,`).
    fn split_fields(line: &str) -> Vec<&str> {
        let (mut depth, mut start, mut out) = (0i32, 0, Vec::new());
        for (i, c) in line.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(line[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(line[start..].trim());
        out.into_iter().filter(|f| !f.is_empty()).collect()
    }

    /// The fields of WGSL `struct name { … }` in `source`: each name and its size in bytes
    /// (`u32` 4, `array<u32, N>` 4·N; anything else fails).
    fn wgsl_fields(source: &str, name: &str) -> Vec<(String, usize)> {
        let start = source.find(&format!("struct {name} {{")).unwrap_or_else(|| panic!("no `struct {name}`"));
        let body = &source[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap_or_else(|| panic!("`{name}` not closed"))];
        body.lines()
            .map(|l| l.split("//").next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .flat_map(split_fields)
            .map(|field| {
                let (n, ty) = field.split_once(':').unwrap_or_else(|| panic!("`{name}`: field `{field}`"));
                let ty = ty.replace(' ', "");
                let size = match ty.as_str() {
                    "u32" => 4,
                    t => {
                        let len = t
                            .strip_prefix("array<u32,")
                            .and_then(|t| t.strip_suffix('>'))
                            .and_then(|t| t.trim_end_matches('u').parse::<usize>().ok())
                            .unwrap_or_else(|| panic!("`{name}.{n}`: type `{t}` (only u32 and array<u32, N>)"));
                        4 * len
                    }
                };
                (n.trim().to_string(), size)
            })
            .collect()
    }

    /// One value of every variant (the match is exhaustive: a new family must be added here),
    /// with its struct's name and fields.
    fn every_variant() -> Vec<(Params, &'static str, Fields)> {
        let all = [
            Params::Gemm(GemmParams { m: 1, ..Default::default() }),
            Params::Gemm(GemmParams { m: 100, ..Default::default() }),
            Params::ConvDirect(Default::default()),
            Params::Binary(Default::default()),
            Params::Unary(Default::default()),
            Params::Copy(Default::default()),
            Params::Softmax(Default::default()),
            Params::Reduce(Default::default()),
            Params::MaxPool(Default::default()),
        ];
        all.into_iter()
            .map(|p| {
                let (name, fields) = match p {
                    Params::Gemm(_) => ("GemmParams", GemmParams::FIELDS),
                    Params::ConvDirect(_) => ("ConvDirectParams", ConvDirectParams::FIELDS),
                    Params::Binary(_) => ("BinaryParams", BinaryParams::FIELDS),
                    Params::Unary(_) => ("UnaryParams", UnaryParams::FIELDS),
                    Params::Copy(_) => ("CopyParams", CopyParams::FIELDS),
                    Params::Softmax(_) => ("SoftmaxParams", SoftmaxParams::FIELDS),
                    Params::Reduce(_) => ("ReduceParams", ReduceParams::FIELDS),
                    Params::MaxPool(_) => ("MaxPoolParams", MaxPoolParams::FIELDS),
                };
                (p, name, fields)
            })
            .collect()
    }

    #[test]
    fn every_kernel_declares_its_parameter_struct_field_for_field() {
        let mut kernels = Vec::new();
        for (params, name, fields) in every_variant() {
            let kernel = Kernel::of(&params);
            kernels.push(kernel);
            let (source, _) = super::super::exec::source(kernel);
            assert!(
                source.contains(&format!("@group(0) @binding(0) var<storage, read> p: {name};")),
                "{kernel:?} does not bind its parameters as `p: {name}`"
            );
            let wgsl = wgsl_fields(&source, name);
            let rust: Vec<(String, usize)> = fields.iter().map(|&(n, s)| (n.to_string(), s)).collect();
            assert_eq!(wgsl, rust, "{kernel:?}: the WGSL `{name}` and the Rust struct differ");
            let size: usize = fields.iter().map(|f| f.1).sum();
            assert_eq!(params.bytes().len(), size, "{name} has padding");
            // Storage bindings are multiples of 4 bytes, and the layouts have no padding.
            assert_eq!(size % 4, 0);
            assert!(!source.contains("p["), "{kernel:?} still reads positional parameters");
        }
        kernels.sort();
        assert_eq!(kernels, Kernel::ALL.to_vec(), "every kernel has a parameter struct");
    }

    #[test]
    fn the_layout_test_catches_a_changed_struct() {
        let source = "struct GemmParams {\n    m: u32,\n    shape: array<u32, 6>,\n}\n";
        assert_eq!(wgsl_fields(source, "GemmParams"), vec![("m".into(), 4), ("shape".into(), 24)]);
        assert_ne!(wgsl_fields(source, "GemmParams").len(), GemmParams::FIELDS.len());
    }

    #[test]
    fn the_product_tile_follows_the_rows() {
        let gemm = |m| Kernel::of(&Params::Gemm(GemmParams { m, ..Default::default() }));
        assert_eq!(gemm(32), Kernel::GemmWide);
        assert_eq!(gemm(33), Kernel::Gemm);
        let p = Params::Unary(UnaryParams { count: 7, op: 11 });
        assert_eq!(p.bytes(), [7u32.to_le_bytes(), 11u32.to_le_bytes()].concat());
        let wide = Params::Gemm(GemmParams { m: 20, n: 300, batches: 3, ..Default::default() });
        assert_eq!(workgroups(&wide), [3, 1, 3], "columns by 128, rows by 32, one layer per batch");
    }

    #[test]
    fn grids_stay_within_the_dimension_limit() {
        assert_eq!(grid(1), [1, 1, 1]);
        assert_eq!(grid(256 * 65_535), [65_535, 1, 1]);
        let [x, y, _] = grid(256 * 65_535 + 1);
        assert!(x <= 65_535 && x as usize * y as usize * 256 > 256 * 65_535);
    }
}
