//! Every einsum as one strided batched matrix product.

use super::*;

impl<'m> Lowering<'m> {
    pub(super) fn einsum(&mut self, node: &'m TypedNode, e: &EinSum) -> Lowered<()> {
        if e.q_params.is_some() || e.operating_dt != f32::datum_type() || node.inputs.len() != 2 {
            return unsupported(node, "only float einsums of two inputs run on the GPU");
        }
        let a_shape = self.shape(node.inputs[0]).or_else(|er| unsupported(node, er))?;
        let b_shape = self.shape(node.inputs[1]).or_else(|er| unsupported(node, er))?;
        let c_shape = self.shape(OutletId::new(node.id, 0)).or_else(|er| unsupported(node, er))?;
        let (sa, sb, sc) = (strides_of(&a_shape), strides_of(&b_shape), strides_of(&c_shape));
        // Each axis: (size, stride in A, B, C) and its role.
        #[derive(Clone, Copy, PartialEq)]
        enum Role {
            Batch,
            M,
            N,
            K,
        }
        let mut groups: [Vec<(usize, [usize; 3], usize)>; 4] = Default::default();
        for axis in e.axes.iter_all_axes() {
            let one = |v: &TVec<usize>| -> Lowered<Option<usize>> {
                match v.as_slice() {
                    [] => Ok(None),
                    [p] => Ok(Some(*p)),
                    _ => Err(Unsupported(format!("EinSum `{}`: a repeated axis (a diagonal)", node.name))),
                }
            };
            let (pa, pb, pc) = (one(&axis.inputs[0])?, one(&axis.inputs[1])?, one(&axis.outputs[0])?);
            let size = pc.map(|p| c_shape[p]).or(pa.map(|p| a_shape[p])).or(pb.map(|p| b_shape[p])).unwrap_or(1);
            if size == 1 {
                continue;
            }
            let st = [pa.map_or(0, |p| sa[p]), pb.map_or(0, |p| sb[p]), pc.map_or(0, |p| sc[p])];
            let role = match (pa.is_some(), pb.is_some(), pc.is_some()) {
                (_, _, false) => Role::K,
                (true, true, true) | (false, false, true) => Role::Batch,
                (true, false, true) => Role::M,
                (false, true, true) => Role::N,
            };
            // Order within a group: by position in C (or in A / B for the summed axes).
            let order = pc.or(pa).or(pb).unwrap_or(0);
            groups[role as usize].push((size, st, order));
        }
        // Each group becomes one axis: consecutive axes merge when the inner one is contiguous
        // with the outer one in every tensor. An m or n group that does not merge may lend its
        // outer axes to an empty batch (`HIW,I->NHW`: h is a batch, w the m axis).
        let merge = |axes: &mut Vec<(usize, [usize; 3], usize)>| -> Vec<(usize, [usize; 3])> {
            axes.sort_by_key(|a| a.2);
            let mut out: Vec<(usize, [usize; 3])> = Vec::new();
            for &(s2, st2, _) in axes.iter() {
                match out.last_mut() {
                    Some((size, st)) if (0..3).all(|t| st[t] == st2[t] * s2) => {
                        *size *= s2;
                        *st = st2;
                    }
                    _ => out.push((s2, st2)),
                }
            }
            out
        };
        let mut merged_groups: Vec<Vec<(usize, [usize; 3])>> = groups.iter_mut().map(merge).collect();
        for g in [Role::M as usize, Role::N as usize] {
            if merged_groups[g].len() == 2 && merged_groups[Role::Batch as usize].is_empty() {
                let outer = merged_groups[g].remove(0);
                merged_groups[Role::Batch as usize].push(outer);
            }
        }
        let mut merged = [(1usize, [0usize; 3]); 4];
        for (g, axes) in merged_groups.iter().enumerate() {
            match axes.as_slice() {
                [] => {}
                [one] => merged[g] = *one,
                _ => return unsupported(node, format!("axes {} cannot be grouped into one matrix product", e.axes)),
            }
        }
        let [(batch, bs), (m, ms), (n, ns), (k, ks)] = merged;
        let a = self.input(node, 0)?;
        let b = self.input(node, 1)?;
        // A bias may be fused along m or n when that group is one output axis (the channels of a
        // 1×1 convolution: n for `IHW,OI->OHW`).
        let single = |role: Role, len: usize| match groups[role as usize].as_slice() {
            [(_, _, axis)] => Some((*axis, len)),
            _ => None,
        };
        let candidates: Vec<(usize, usize)> = [single(Role::M, m), single(Role::N, n)].into_iter().flatten().collect();
        let (bias, act, last, label) = self.epilogue(node, None, &candidates);
        let bias_mode = bias.map_or(GemmParams::BIAS_NONE, |(_, i)| {
            if Some(candidates[i]) == single(Role::M, m) {
                GemmParams::BIAS_PER_ROW
            } else {
                GemmParams::BIAS_PER_COLUMN
            }
        });
        let bias = bias.map(|b| b.0);
        let (c, _) = self.output(node)?;
        self.bind_output(last, c);
        let bias_t = bias.unwrap_or_else(|| self.dummy());
        if batch > 65_535 {
            return unsupported(node, format!("a batch of {batch} products"));
        }
        // The kernel reads A along k and B along n: when A is the operand contiguous along its
        // output axis (`IHW,OI->OHW`: the image is A, contiguous along HW), compute Cᵀ = Bᵀ·Aᵀ
        // instead, so both loads are contiguous and the (usually small) channel count is m.
        let (a, b, m, n, ms, ns, bs, ks, bias_mode) = if ms[0] == 1 && ns[1] != 1 {
            let swap = |s: [usize; 3]| [s[1], s[0], s[2]];
            let mode = match bias_mode {
                GemmParams::BIAS_PER_ROW => GemmParams::BIAS_PER_COLUMN,
                GemmParams::BIAS_PER_COLUMN => GemmParams::BIAS_PER_ROW,
                x => x,
            };
            (b, a, n, m, swap(ns), swap(ms), swap(bs), swap(ks), mode)
        } else {
            (a, b, m, n, ms, ns, bs, ks, bias_mode)
        };
        let p = GemmParams {
            m: u(m)?,
            n: u(n)?,
            k: u(k)?,
            a_batch: u(bs[0])?,
            a_m: u(ms[0])?,
            a_k: u(ks[0])?,
            b_batch: u(bs[1])?,
            b_k: u(ks[1])?,
            b_n: u(ns[1])?,
            c_batch: u(bs[2])?,
            c_m: u(ms[2])?,
            c_n: u(ns[2])?,
            bias_mode,
            act: act as u32,
            ..GemmParams::default()
        };
        self.push_gemm(p, batch, vec![a, b, bias_t, c], &label, (batch * m * n * k) as u64)
    }
}
