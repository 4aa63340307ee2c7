// Sigma's node and edge programs, drawn without instancing. Sigma 3 draws each node and
// edge as an instance of a few vertices; SwiftShader (WebGL without a GPU, as in headless
// Chromium) pays 20-35 µs an instance: 1.2 s of the first draw at 5,000 nodes and 20,000
// edges, 0.3 s with each instance's vertices written out in full (as sigma 2 did) and drawn
// in one plain call. The shaders are sigma's: the picture is the same, pixel for pixel.
import {
  createEdgeCompoundProgram,
  EdgeArrowHeadProgram,
  EdgeClampedProgram,
  type EdgeProgramType,
  EdgeRectangleProgram,
  getAttributesItemsCount,
  type InstancedProgramDefinition,
  NodeCircleProgram,
  type NodeProgramType,
  type ProgramDefinition,
} from 'sigma/rendering';

/** What of a sigma program (node or edge) is used here. */
type Instanced = new (
  ...args: ConstructorParameters<typeof NodeCircleProgram>
) => {
  array: Float32Array;
  ATTRIBUTES_ITEMS_COUNT: number;
  getDefinition(): ProgramDefinition;
  processVisibleItem(index: number, start: number, ...data: unknown[]): void;
};

/** `program` with its constant (per-vertex) attributes made ordinary ones, in each vertex. */
function flat<T>(program: T): T {
  const Base = program as unknown as Instanced;
  return class extends Base {
    /** The instance's vertices' constant data, which sigma takes only from an instanced definition. */
    private readonly perVertex = (super.getDefinition() as InstancedProgramDefinition)
      .CONSTANT_DATA;
    private readonly own = getAttributesItemsCount(super.getDefinition().ATTRIBUTES);

    override getDefinition() {
      const { CONSTANT_ATTRIBUTES, CONSTANT_DATA, ...def } =
        super.getDefinition() as InstancedProgramDefinition;
      return { ...def, ATTRIBUTES: [...def.ATTRIBUTES, ...CONSTANT_ATTRIBUTES] };
    }

    /** Sigma's item written at `start` as the first vertex, then copied into the others. */
    override processVisibleItem(index: number, start: number, ...data: unknown[]): void {
      super.processVisibleItem(index, start, ...data);
      const a = this.array;
      const stride = this.ATTRIBUTES_ITEMS_COUNT;
      this.perVertex.forEach((constants, v) => {
        const at = start + v * stride;
        if (v > 0) a.copyWithin(at, start, start + this.own);
        a.set(constants, at + this.own);
      });
    }
  } as unknown as T;
}

/** Sigma's defaults (circles; arrows, and lines for self-loops), drawn flat. */
export const NODE_PROGRAMS: Record<string, NodeProgramType> = { circle: flat(NodeCircleProgram) };
export const EDGE_PROGRAMS: Record<string, EdgeProgramType> = {
  arrow: createEdgeCompoundProgram([flat(EdgeClampedProgram), flat(EdgeArrowHeadProgram)]),
  line: flat(EdgeRectangleProgram),
};
