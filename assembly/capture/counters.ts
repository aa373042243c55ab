// What the capture controls left out, per gateway worker VM: requests not captured because of their
// path or method, and bodies not read because of their content type. The Stats line reports them.
export class CaptureCounts {
  excluded: u64 = 0;
  bodiesSkipped: u64 = 0;
}

export const captureCounts = new CaptureCounts();
