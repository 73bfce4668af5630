//! Broadcasting binary ops, unary functions, softmax and reductions.

use super::*;

impl<'m> Lowering<'m> {
    pub(super) fn binary(&mut self, node: &'m TypedNode, name: &str) -> Lowered<()> {
        let code = match name {
            "Add" => BinaryParams::ADD,
            "Sub" => BinaryParams::SUB,
            "Mul" => BinaryParams::MUL,
            "Div" => BinaryParams::DIV,
            "Pow" => BinaryParams::POW,
            "Max" => BinaryParams::MAX,
            "Min" => BinaryParams::MIN,
            other => return unsupported(node, format!("binary op {other}")),
        };
        let a_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let b_shape = self.shape(node.inputs[1]).or_else(|e| unsupported(node, e))?;
        let a = self.input(node, 0)?;
        let b = self.input(node, 1)?;
        let (out, shape) = self.output(node)?;
        let rank = shape.len();
        let broadcast = |s: &[usize]| -> Lowered<Vec<usize>> {
            let st = strides_of(s);
            let off =
                rank.checked_sub(s.len()).ok_or_else(|| Unsupported(format!("{} `{}`: rank", name, node.name)))?;
            Ok((0..rank).map(|i| if i < off || s[i - off] == 1 { 0 } else { st[i - off] }).collect())
        };
        let n: usize = shape.iter().product();
        let (shape, st) = collapse(&shape, &[broadcast(&a_shape)?, broadcast(&b_shape)?], None);
        let p = BinaryParams {
            count: u(n)?,
            rank: u(shape.len())?,
            op: code,
            shape: axes(&shape, 1)?,
            a_strides: axes(&st[0], 0)?,
            b_strides: axes(&st[1], 0)?,
        };
        self.push(Params::Binary(p), vec![a, b, out], &node.name, 0);
        Ok(())
    }

    pub(super) fn unary(&mut self, node: &'m TypedNode, name: &str) -> Lowered<()> {
        let code = match name {
            "Silu" => UnaryParams::SILU,
            "Sigmoid" => UnaryParams::SIGMOID,
            "Sin" => UnaryParams::SIN,
            "Cos" => UnaryParams::COS,
            "Exp" => UnaryParams::EXP,
            "Tanh" => UnaryParams::TANH,
            "Neg" => UnaryParams::NEG,
            "Abs" => UnaryParams::ABS,
            "Sqrt" => UnaryParams::SQRT,
            "Recip" => UnaryParams::RECIP,
            "Ln" => UnaryParams::LN,
            other => return unsupported(node, format!("element-wise op {other}")),
        };
        let a = self.input(node, 0)?;
        let (out, shape) = self.output(node)?;
        let n: usize = shape.iter().product();
        self.push(Params::Unary(UnaryParams { count: u(n)?, op: code }), vec![a, out], &node.name, 0);
        Ok(())
    }

    /// `[outer, axis, inner]` around consecutive `axes` of `shape`.
    fn split_around(node: &TypedNode, shape: &[usize], axes: &[usize]) -> Lowered<(usize, usize, usize)> {
        let mut axes = axes.to_vec();
        axes.sort_unstable();
        let (Some(&lo), Some(&hi)) = (axes.first(), axes.last()) else {
            return unsupported(node, "no axis");
        };
        if hi - lo + 1 != axes.len() || hi >= shape.len() {
            return unsupported(node, format!("axes {axes:?} are not consecutive"));
        }
        Ok((shape[..lo].iter().product(), shape[lo..=hi].iter().product(), shape[hi + 1..].iter().product()))
    }

    pub(super) fn softmax(&mut self, node: &'m TypedNode, axes: &[usize]) -> Lowered<()> {
        let shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let (outer, len, inner) = Self::split_around(node, &shape, axes)?;
        let x = self.input(node, 0)?;
        let (y, _) = self.output(node)?;
        let p = SoftmaxParams { lanes: u(outer * inner)?, len: u(len)?, inner: u(inner)? };
        self.push(Params::Softmax(p), vec![x, y], &node.name, 0);
        Ok(())
    }

    pub(super) fn reduce(&mut self, node: &'m TypedNode, axes: &[usize], reducer: &Reducer) -> Lowered<()> {
        let op = match reducer {
            Reducer::Sum => ReduceParams::SUM,
            Reducer::Max => ReduceParams::MAX,
            Reducer::Min => ReduceParams::MIN,
            Reducer::Prod => ReduceParams::PROD,
            r => return unsupported(node, format!("reducer {r:?}")),
        };
        let shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let (outer, len, inner) = Self::split_around(node, &shape, axes)?;
        let x = self.input(node, 0)?;
        let (y, _) = self.output(node)?;
        let p = ReduceParams { lanes: u(outer * inner)?, len: u(len)?, inner: u(inner)?, op };
        self.push(Params::Reduce(p), vec![x, y], &node.name, 0);
        Ok(())
    }
}
