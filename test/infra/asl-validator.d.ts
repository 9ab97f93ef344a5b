// asl-validator ships no types of its own.
declare module 'asl-validator' {
  interface ValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly { readonly message?: string; readonly 'Error code'?: string }[];
  }
  function validator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): ValidationResult;
  export = validator;
}
