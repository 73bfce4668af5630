// Batched matrix product C[b, m, n] = act(Σ_k A[b, m, k] · B[b, k, n] + bias [+ C[b, m, n] when
// `accumulate`]), one 64×64 tile of C
// per workgroup of 16×16 invocations (or 32 × 128 for few rows), each 4 rows × 4 columns held in
// four vec4 accumulators; K in
// steps of 16 through workgroup memory (two barriers per step). Parameters are read once into
// locals; the im2col pixel of the B values an invocation loads is fixed, so it is computed once.
// A, B and C are read and written through strides, so any einsum that groups into
// batch / m / n / k axes runs here without a transpose. With `im2col` set, B is not a matrix but
// the convolution patches of an image (an implicit GEMM: no im2col buffer is ever written).
//
// Parameters: `GemmParams` in src/program/params.rs (field meanings there), declared here field for
// field in the same order (a test in params.rs compares the two).
struct GemmParams {
    m: u32,
    n: u32,
    k: u32,
    a_batch: u32,
    a_m: u32,
    a_k: u32,
    b_batch: u32,
    b_k: u32,
    b_n: u32,
    c_batch: u32,
    c_m: u32,
    c_n: u32,
    bias_mode: u32,
    act: u32,
    im2col: u32,
    c_in: u32,
    h: u32,
    w: u32,
    kh: u32,
    kw: u32,
    stride_h: u32,
    stride_w: u32,
    pad_h: u32,
    pad_w: u32,
    dil_h: u32,
    dil_w: u32,
    ow: u32,
    x_c: u32,
    x_h: u32,
    x_w: u32,
    batch_split: u32,
    c_batch_inner: u32,
    col_split: u32,
    c_col_outer: u32,
    batches: u32,
    accumulate: u32,
}

@group(0) @binding(0) var<storage, read> p: GemmParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

// The workgroup is WX × WY invocations (256 in all); its tile is TM = 4·WY rows by TN = 4·WX
// columns. 16 × 16 (a 64 × 64 tile) by default; src/gpu/exec.rs makes a 32 × 8 variant (32 × 128)
// for products with few rows (convolutions with 8 to 32 output channels) by replacing these two
// lines. Workgroup memory 16 · 16 · (WX + WY) bytes stays within WebGPU's default 16384.
const WX: u32 = 16u;
const WY: u32 = 16u;
const TM: u32 = 4u * WY;
const TN: u32 = 4u * WX;

// [k][m / 4] and [k][n / 4]: one vec4 load gives an invocation its 4 rows (or 4 columns).
var<workgroup> ta: array<array<vec4<f32>, WY>, 16>;
var<workgroup> tb: array<array<vec4<f32>, WX>, 16>;
// im2col: for the 16 k of a step (double-buffered: the next step's are written while this one
// computes), the patch tap's offset in the image and its row / column shift (the divisions
// k → channel, row, column are done here once per k, not once per loaded value).
var<workgroup> taps: array<array<vec3<i32>, 16>, 2>;

// The im2col tap of patch row `gk`: (offset, dy, dx); past K its shift fails every bounds test.
fn tap(gk: u32) -> vec3<i32> {
    if (gk >= p.k) {
        return vec3<i32>(0, 1 << 28, 0);
    }
    let khw = p.kh * p.kw;
    let ic = gk / khw;
    let r = gk % khw;
    let dy = (r / p.kw) * p.dil_h;
    let dx = (r % p.kw) * p.dil_w;
    return vec3<i32>(i32(ic * p.x_c + dy * p.x_h + dx * p.x_w), i32(dy), i32(dx));
}

fn activate(v: vec4<f32>, act: u32) -> vec4<f32> {
    if (act == 1u) {
        return v / (vec4<f32>(1.0) + exp(-v));
    }
    if (act == 2u) {
        return vec4<f32>(1.0) / (vec4<f32>(1.0) + exp(-v));
    }
    return v;
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let M = p.m;
    let N = p.n;
    let K = p.k;
    let a_m = p.a_m;
    let a_k = p.a_k;
    let b_k = p.b_k;
    let b_n = p.b_n;
    let im2col = p.im2col == 1u;
    let H = i32(p.h);
    let W = i32(p.w);
    let x_h = p.x_h;
    let x_w = p.x_w;
    let batch = wg.z;
    let a_base = batch * p.a_batch;
    let b_base = batch * p.b_batch;
    let m0 = wg.y * TM;
    let n0 = wg.x * TN;
    let tid = lid.y * WX + lid.x;
    // The B values this invocation loads: column n0 + tid % TN (256 is a multiple of TN, so the
    // column is the same for every load of this invocation).
    let nb = tid % TN;
    let gn_load = n0 + nb;
    var iy0 = 0;
    var ix0 = 0;
    if (im2col && p.ow > 0u) {
        iy0 = i32((gn_load / p.ow) * p.stride_h) - i32(p.pad_h);
        ix0 = i32((gn_load % p.ow) * p.stride_w) - i32(p.pad_w);
    }
    // Where this invocation's patch pixel (iy0, ix0) starts in B.
    let pix = i32(b_base) + iy0 * i32(x_h) + ix0 * i32(x_w);
    if (im2col && tid < 16u) {
        taps[0][tid] = tap(tid);
    }
    workgroupBarrier();
    var step = 0u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < K; k0 += 16u) {
        // A: TM rows × 16 k, k fastest.
        for (var e = tid; e < TM * 16u; e += 256u) {
            let mm = e / 16u;
            let kk = e % 16u;
            let gm = m0 + mm;
            let gk = k0 + kk;
            var v = 0.0;
            if (gm < M && gk < K) {
                v = a[a_base + gm * a_m + gk * a_k];
            }
            ta[kk][mm / 4u][mm % 4u] = v;
        }
        // B: 16 k × TN columns, columns fastest.
        for (var e = tid; e < 16u * TN; e += 256u) {
            let kb = e / TN;
            let gkb = k0 + kb;
            var w = 0.0;
            if (gkb < K && gn_load < N) {
                if (im2col) {
                    let t = taps[step & 1u][kb];
                    let iy = iy0 + t.y;
                    let ix = ix0 + t.z;
                    if (iy >= 0 && ix >= 0 && iy < H && ix < W) {
                        w = b[u32(pix + t.x)];
                    }
                } else {
                    w = b[b_base + gkb * b_k + gn_load * b_n];
                }
            }
            tb[kb][nb / 4u][nb % 4u] = w;
        }
        workgroupBarrier();
        if (im2col && tid < 16u) {
            taps[(step + 1u) & 1u][tid] = tap(k0 + 16u + tid);
        }
        step += 1u;
        for (var kk = 0u; kk < 16u; kk++) {
            let av = ta[kk][lid.y];
            let bv = tb[kk][lid.x];
            acc0 = fma(vec4<f32>(av.x), bv, acc0);
            acc1 = fma(vec4<f32>(av.y), bv, acc1);
            acc2 = fma(vec4<f32>(av.z), bv, acc2);
            acc3 = fma(vec4<f32>(av.w), bv, acc3);
        }
        workgroupBarrier();
    }
    var c_base = batch * p.c_batch;
    if (p.batch_split > 0u) {
        c_base = (batch / p.batch_split) * p.c_batch + (batch % p.batch_split) * p.c_batch_inner;
    }
    let c_m = p.c_m;
    let c_n = p.c_n;
    let n_split = p.col_split;
    let c_row = p.c_col_outer;
    let act = p.act;
    let gn = n0 + lid.x * 4u;
    var bias_n = vec4<f32>(0.0);
    if (p.bias_mode == 2u) {
        for (var j = 0u; j < 4u; j++) {
            if (gn + j < N) {
                bias_n[j] = bias[gn + j];
            }
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let gm = m0 + lid.y * 4u + i;
        if (gm >= M) {
            break;
        }
        var v: vec4<f32>;
        switch i {
            case 0u: { v = acc0; }
            case 1u: { v = acc1; }
            case 2u: { v = acc2; }
            default: { v = acc3; }
        }
        if (p.bias_mode == 1u) {
            v += vec4<f32>(bias[gm]);
        }
        v += bias_n;
        // Where each of the 4 columns lies in C (read first when accumulating, then written).
        var at: array<u32, 4>;
        for (var j = 0u; j < 4u; j++) {
            let col = gn + j;
            var off = col * c_n;
            if (n_split > 0u) {
                off = (col / n_split) * c_row + (col % n_split) * c_n;
            }
            at[j] = c_base + gm * c_m + off;
            if (col < N && p.accumulate == 1u) {
                v[j] += c[at[j]];
            }
        }
        v = activate(v, act);
        for (var j = 0u; j < 4u; j++) {
            if (gn + j < N) {
                c[at[j]] = v[j];
            }
        }
    }
}
