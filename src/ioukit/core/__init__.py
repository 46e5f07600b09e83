"""Pure array math on the Array API: counting and reduction. Never reads files."""
