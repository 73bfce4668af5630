//! Lists the ops of an ONNX export's decluttered tract graph (what the WebGPU executor must
//! cover, DESIGN.md "WebGPU"), with their counts: `cargo run --example graph_ops -- model.onnx…`.

use std::collections::BTreeMap;
use tract_onnx::prelude::*;

fn main() -> TractResult<()> {
    for path in std::env::args().skip(1) {
        let model = tract_onnx::onnx().with_ignore_output_shapes(true).model_for_path(&path)?;
        let model = model.into_typed()?.into_decluttered()?;
        let mut ops: BTreeMap<String, usize> = BTreeMap::new();
        for node in model.nodes() {
            *ops.entry(format!("{}", node.op.name())).or_default() += 1;
        }
        println!("{path}: {} nodes", model.nodes().len());
        for (op, n) in ops {
            println!("  {n:4} {op}");
        }
        if std::env::var_os("GRAPH_OPS_DETAIL").is_some() {
            let mut sigs: BTreeMap<String, usize> = BTreeMap::new();
            for node in model.nodes() {
                let name = node.op.name();
                if name == "Const" || name == "Silu" || name == "Source" {
                    continue;
                }
                let shapes: Vec<String> =
                    node.inputs.iter().map(|i| format!("{:?}", model.outlet_fact(*i).unwrap().shape)).collect();
                let info = node.op.info().unwrap_or_default().join("; ");
                *sigs
                    .entry(format!("{name} [{info}] {}", shapes.join(" ")).chars().take(220).collect())
                    .or_default() += 1;
            }
            for (s, n) in sigs {
                println!("    {n:3} {s}");
            }
        }
    }
    Ok(())
}
