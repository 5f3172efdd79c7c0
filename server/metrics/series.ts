// Names of the history's series and their values in a sample: `cpu.percent`, `mem.percent`,
// `disk./.usedPercent`, `net.eth0.rxBps`, `temp.cpu`, ...
import type { MetricsSample, Temperature } from "./sampler";

/** The sensor that stands for the CPU: a thermal zone or hwmon chip named after it, else the first. */
const CPU_SENSOR = /cpu|soc|x86_pkg_temp|coretemp\.Package|k10temp|zenpower/i;

export function cpuTemperature(temperatures: Temperature[]): number | null {
  return (temperatures.find((t) => CPU_SENSOR.test(t.sensor)) ?? temperatures[0])?.celsius ?? null;
}

/** Every series' value in `sample`, by name. */
export function seriesValues(sample: MetricsSample): [string, number][] {
  const { cpu, memory } = sample;
  const values: [string, number][] = [
    ["cpu.percent", cpu.percent],
    ["cpu.userPercent", cpu.userPercent],
    ["cpu.systemPercent", cpu.systemPercent],
    ["cpu.iowaitPercent", cpu.iowaitPercent],
    ["cpu.stealPercent", cpu.stealPercent],
    ["load.1", cpu.load1],
    ["load.5", cpu.load5],
    ["load.15", cpu.load15],
    ["mem.percent", memory.percent],
    ["mem.usedBytes", memory.usedBytes],
    ["swap.percent", memory.swapPercent],
    ["swap.usedBytes", memory.swapUsedBytes],
    ["procs.count", sample.processCount],
    ["threads.count", sample.threadCount],
  ];
  cpu.cores.forEach((core, i) => {
    values.push([`cpu.${i}.percent`, core.percent]);
  });
  for (const fs of sample.filesystems) {
    values.push([`disk.${fs.mountPoint}.usedPercent`, fs.usedPercent], [`disk.${fs.mountPoint}.freeBytes`, fs.freeBytes]);
  }
  for (const disk of sample.disks) {
    values.push([`diskio.${disk.device}.readBps`, disk.readBps], [`diskio.${disk.device}.writeBps`, disk.writeBps]);
  }
  for (const net of sample.network) {
    values.push([`net.${net.name}.rxBps`, net.rxBps], [`net.${net.name}.txBps`, net.txBps]);
  }
  const cpuCelsius = cpuTemperature(sample.temperatures);
  if (cpuCelsius !== null) values.push(["temp.cpu", cpuCelsius]);
  for (const t of sample.temperatures) values.push([`temp.${t.sensor}`, t.celsius]);
  // 0 or 1, so alert rules and charts can watch a Raspberry Pi's power supply and throttling.
  if (sample.throttling) {
    values.push(["pi.underVoltage", Number(sample.throttling.underVoltage)], ["pi.throttled", Number(sample.throttling.throttled)]);
  }
  return values;
}
