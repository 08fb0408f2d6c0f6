/**
 * The lab's profiles: the scale and the training recipe of each. What a profile scales down
 * compared to the paper is not written here: it is computed from the settings a lab actually
 * ran with (`scaledDownFrom` in `@slimming/run-format`).
 *
 * @module
 */
import { PAPER_SETTING, type ScalePolicy, type TrainingRecipe } from "@slimming/run-format";
import { ARCH_INFOS, type ArchInfo, type ArchName } from "@slimming/architectures";

/**
 * The lab's pruning sweep: every λ's best model pruned at each ratio with `prune`'s rules,
 * recalibrated with the recipe's images, evaluated and timed (`sweep-<λ>/sweep.json`).
 */
export interface LabSweep {
  readonly ratios: readonly number[];
  /** Test images each point is evaluated on (a class-balanced seeded subset; absent: all). */
  readonly testImages?: number;
}

/** `count` ratios from `start` in steps of `step` (rounded to 2 decimals). */
function ratioRange(start: number, step: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((start + i * step).toFixed(2)));
}

/**
 * The quick profile's sweep: 10% to 90% in steps of 10% on 5,000 test images. Measured on
 * VGG-19 x0.25 (2-core Xeon, AVX-512, busy): 9 ratios on all 10,000 test images took 39 s a
 * model, on 5,000 21 s; the three λ's models fit in about a minute.
 */
const QUICK_SWEEP: LabSweep = { ratios: ratioRange(0.1, 0.1, 9), testImages: 5000 };

/** The longer profiles' sweep: 5% to 95% in steps of 5% on the whole test set. */
const FULL_SWEEP: LabSweep = { ratios: ratioRange(0.05, 0.05, 19) };

/** A profile: the lab's scale and recipe. */
export interface LabProfile {
  /** The architecture (default: the registry's `DEFAULT_ARCH`). */
  readonly arch?: ArchName;
  readonly depth: number;
  /** DenseNet: the growth rate (default 12). */
  readonly growthRate?: number;
  readonly width: number;
  readonly epochs: number;
  readonly finetuneEpochs: number;
  readonly batchSize: number;
  readonly subset?: number;
  readonly testSubset?: number;
  /**
   * Wall-time budget in seconds. With one, the lab measures the machine's speed first and
   * plans its scale to fit (see `scale`); a stage that still runs late anneals and stops early.
   */
  readonly timeBudget?: number;
  /** How the scale gives way to the budget (without it, nothing gives way: stages are cut). */
  readonly scale?: ScalePolicy;
  readonly recipe: TrainingRecipe;
  /** λ of the three sparsity trainings; the largest is pruned. */
  readonly lambdas: readonly number[];
  /** Pruning ratios (default 0.5 and 0.9). */
  readonly ratios?: readonly number[];
  /** The pruning sweep of every λ's model (absent: none). */
  readonly sweep?: LabSweep;
  /** What changes when the lab runs another architecture with this profile. */
  readonly forArch?: Partial<Record<ArchName, Partial<LabProfile>>>;
}

/** Each architecture's changes of one kind, from the registry's descriptors. */
function changesByArch(kind: "referenceLab" | "quickLab"): LabProfile["forArch"] {
  const entries: [string, Partial<LabProfile>][] = ARCH_INFOS.flatMap((info: ArchInfo) => {
    const changes = info[kind];
    return changes ? [[info.name, changes] as [string, Partial<LabProfile>]] : [];
  });
  return Object.fromEntries(entries) as LabProfile["forArch"];
}

/**
 * The reference's setting for each architecture that has its own (its README; the
 * pre-activation ResNet-164 and DenseNet-40: λ = 1e-5, pruned at 40% and 60%).
 */
const REFERENCE_OTHER_ARCHS: LabProfile["forArch"] = changesByArch("referenceLab");

/** `profile` as run on `arch`: its per-architecture changes applied. */
export function profileForArch(profile: LabProfile, arch: ArchName): LabProfile {
  const changes = profile.forArch?.[arch];
  return changes ? { ...profile, ...changes, arch } : profile;
}

/**
 * The recipe of the quick profile, for a 20-minute budget on two cores: one-cycle learning
 * rate with Nesterov momentum and label smoothing (the short-schedule tools of the CIFAR-10
 * speed records), weight decay 5e-4, and BN recalibration after pruning. The sparsity method
 * is untouched: loss + λ·Σ|γ| through λ·sign(γ), one global threshold, vggprune's model.
 */
export const QUICK_RECIPE: TrainingRecipe = {
  schedule: "onecycle",
  lr: 0.1,
  finetuneLr: 0.05,
  warmup: 0.15,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
  recalibrate: 2000,
  recalibrateAugment: true,
};

/**
 * How the quick profile gives way on a machine too slow for it in its budget, in the order
 * measured here (λ = 0, the quick recipe, real CIFAR-10, best test %):
 * - Sparsity-training images decide the accuracy, and every λ pays for them: 150,000 images
 *   (3 epochs) 73.21, 200,000 (4 epochs) 77.71, 350,000 (7 epochs) 82.48. Fine-tunes give
 *   way first (to 20,000 images an epoch; they take back what whole epochs leave over).
 * - At the same images, whole epochs beat more epochs over fewer images: 4 × 50,000 77.71,
 *   7 × 28,000 76.24 (and cost fewer evaluations). So epochs give way next, to 3; images an
 *   epoch last, to 20,000.
 * Fine-tunes planned again after the prunes grow to 6 epochs when every image fits.
 * The speeds this was planned against: VGG-19 ×0.25 trains at 640-700 img/s with AVX2 kernels
 * and 960 with AVX-512 on a 2-core Xeon, 1,100-1,450 on a 2-core EPYC with AVX-512.
 */
export const QUICK_SCALE: ScalePolicy = {
  order: ["finetune", "epochs", "images"],
  minImagesPerEpoch: 20_000,
  minEpochs: 3,
  minFinetuneImagesPerEpoch: 20_000,
  // Three fine-tune epochs are far from converged (the 90% model of a default lab: 54.75%,
  // 59.68%, 64.76% after each), so time a fast sparsity phase leaves goes to more of them.
  maxFinetuneEpochs: 6,
};

/** The lab's profiles. */
export const LAB_PROFILES: Readonly<Record<string, LabProfile>> = {
  paper: {
    depth: 19,
    width: 1,
    epochs: 160,
    finetuneEpochs: 160,
    batchSize: 64,
    recipe: PAPER_SETTING.recipe,
    lambdas: [0, 1e-4, 1e-3],
    sweep: FULL_SWEEP,
    forArch: REFERENCE_OTHER_ARCHS,
  },
  lab: {
    depth: 19,
    width: 1,
    epochs: 60,
    finetuneEpochs: 20,
    batchSize: 100,
    recipe: PAPER_SETTING.recipe,
    lambdas: [0, 1e-4, 1e-3],
    sweep: FULL_SWEEP,
    forArch: REFERENCE_OTHER_ARCHS,
  },
  quick: {
    depth: 19,
    width: 0.25,
    epochs: 7,
    finetuneEpochs: 3,
    batchSize: 64,
    timeBudget: 20 * 60,
    scale: QUICK_SCALE,
    recipe: QUICK_RECIPE,
    sweep: QUICK_SWEEP,
    // The L1 term moves each |γ| by lr·λ a step. The learning rates of 7 one-cycle epochs sum
    // to ~1/24 of those of the paper's 160 step-schedule epochs, so the paper's λ = 1e-4 would
    // barely move |γ| here: 8e-4 moves it by ~0.2 in all (the paper's run: ~0.66). Measured
    // with this profile against λ = 0's 82.48%: 8e-4 80.28% (50% prune, recalibrated on
    // augmented images: 80.26%), 9e-4 79.32%, 1e-3 79.45% (more than 3 points off).
    lambdas: [0, 1e-4, 8e-4],
    // Each architecture's own changes for the 20-minute budget (the ResNet's and DenseNet's
    // depth, images, λ's and ratios, measured as their descriptors say).
    forArch: changesByArch("quickLab"),
  },
};
