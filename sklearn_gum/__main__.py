"""``python -m sklearn_gum`` runs the demo."""

from ._demo import main

if __name__ == "__main__":
    main()
