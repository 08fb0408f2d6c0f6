/** @module */ export {};
